/**
 * The server as production runs it: compiled JavaScript, without tsx's loader in the process
 * (which costs about 30 MB of RSS, and would count against the export's memory target). Each
 * TypeScript file of src/ (tests aside) and the benchmark's server entry is transpiled on its own
 * (`ts.transpileModule`: no type check, which `npm run typecheck` does) into a directory under
 * node_modules/.cache, where the compiled files still resolve the project's node_modules.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  sourceMap: false,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Transpiles `files` (and every file under `dirs`) of `repo` into `outDir`, keeping their paths. */
export function compileServer(repo: string, outDir: string, dirs: string[], files: string[]): void {
  for (const file of [...dirs.flatMap((d) => sources(path.join(repo, d))), ...files.map((f) => path.join(repo, f))]) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: OPTIONS, fileName: file });
    const target = path.join(outDir, path.relative(repo, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
}
