#!/usr/bin/env node
// Entry point of the `vigil` command: runs the compiled CLI (built by `npm ci` via the prepare script).
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
