/**
 * Reads a `User-Agent` into `client.kind` and a short name people recognise (DESIGN.md §2):
 * "Chrome 131 on macOS", "CLI (curl 8.5)", "Python", "MCP / Node.js".
 *
 * Browsers are left to ua-parser-js (v1, MIT); what it does not know — command-line tools, HTTP
 * libraries and MCP clients, the usual callers of a secrets API — is matched by the rules below,
 * first match wins, in the order MCP, CLI, SDK, browser.
 */
import UAParser from 'ua-parser-js';
import { BoundedCache } from './bounded-cache.js';
import type { ClientKind } from './event.js';

/** What `describeClient` returns; stored as `client.kind` and `client.name`. */
export interface ClientDescription {
  kind: ClientKind;
  name: string;
}

/** Command-line tools: the first group is the version. */
const CLI_TOOLS: readonly (readonly [RegExp, string])[] = [
  [/\bvigil-cli\/v?(\d[\w.]*)/i, 'vigil-cli'],
  [/\bcurl\/(\d[\w.]*)/i, 'curl'],
  [/\bHTTPie\/(\d[\w.]*)/i, 'HTTPie'],
  [/\bWget\/(\d[\w.]*)/i, 'Wget'],
  [/\baws-cli\/(\d[\w.]*)/i, 'aws-cli'],
  [/\bAZURECLI\/(\d[\w.]*)/i, 'azure-cli'],
  [/\bgcloud\/(\d[\w.]*)/i, 'gcloud'],
  [/^Vault\/v?(\d[\w.]*)/i, 'vault'],
  [/\bGitHub CLI (\d[\w.]*)/i, 'gh'],
  [/\bkubectl\/v?(\d[\w.]*)/i, 'kubectl'],
  [/\bTerraform\/(\d[\w.]*)/i, 'Terraform'],
  [/\bPowerShell\/(\d[\w.]*)/i, 'PowerShell'],
];

/** HTTP libraries and runtimes, named by their language or runtime. */
const RUNTIMES: readonly (readonly [RegExp, string])[] = [
  [/node-fetch|\bundici\b|\baxios\/|\bnode(?:\.js|js)?\b|modelcontextprotocol\/sdk|\btypescript\b/i, 'Node.js'],
  [/\bDeno\//, 'Deno'],
  [/\bBun\//, 'Bun'],
  [/python|\baiohttp\/|\burllib3\/|\bhttpx\//i, 'Python'],
  [/Go-http-client|\bgo\d+\.\d+|\bgo(?:lang)?\b/i, 'Go'],
  [/okhttp|\bJava\b|Apache-HttpClient/i, 'Java'],
  [/\breqwest\b|\bhyper\/|\brust\b/i, 'Rust'],
  [/\bRuby\b|Faraday/i, 'Ruby'],
  [/GuzzleHttp|\bPHP\b/i, 'PHP'],
  [/\.NET\b|\bdotnet\b|\bC#/i, '.NET'],
];

const MCP = /mcp|modelcontextprotocol/i;

/** ua-parser-js names mapped to the names vendors use today. */
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS' };

/** `8.5.0` → `8.5`. */
function shortVersion(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

function runtimeOf(userAgent: string): string | undefined {
  return RUNTIMES.find(([pattern]) => pattern.test(userAgent))?.[1];
}

function describeCli(userAgent: string): ClientDescription | undefined {
  for (const [pattern, tool] of CLI_TOOLS) {
    const match = pattern.exec(userAgent);
    if (match) return { kind: 'cli', name: `CLI (${tool} ${shortVersion(match[1]!)})` };
  }
  return undefined;
}

function describeBrowser(userAgent: string): ClientDescription | undefined {
  const { browser, os } = new UAParser(userAgent).getResult();
  if (!browser.name) return undefined;
  const name = browser.major ? `${browser.name} ${browser.major}` : browser.name;
  const system = os.name ? (OS_NAMES[os.name] ?? os.name) : undefined;
  return { kind: 'browser', name: system ? `${name} on ${system}` : name };
}

/** The first product token (`MyApp/2.3.1 …` → `MyApp 2.3`), or `Unknown`. */
function describeOther(userAgent: string): ClientDescription {
  const match = /^([A-Za-z][\w.-]{0,63})(?:\/v?(\d[\w.]*))?/.exec(userAgent);
  if (!match || match[1] === 'Mozilla') return { kind: 'other', name: 'Unknown' };
  return { kind: 'other', name: match[2] ? `${match[1]} ${shortVersion(match[2])}` : match[1]! };
}

/** The kind of client and a readable name for a `User-Agent` header value. */
export function describeClient(userAgent: string): ClientDescription {
  let described = descriptions.get(userAgent);
  if (!described) descriptions.set(userAgent, (described = describe(userAgent)));
  return { ...described };
}

/** A deployment sees few distinct user agents, and parsing one is costly: remember them. */
const descriptions = new BoundedCache<string, ClientDescription>(10_000);

function describe(userAgent: string): ClientDescription {
  const ua = userAgent.trim();
  if (MCP.test(ua)) {
    const runtime = runtimeOf(ua);
    return { kind: 'mcp', name: runtime ? `MCP / ${runtime}` : 'MCP' };
  }
  const cli = describeCli(ua);
  if (cli) return cli;
  // Browsers all claim Mozilla; SDK words ("node", "go") are only trusted in other agents.
  const runtime = ua.startsWith('Mozilla/') ? undefined : runtimeOf(ua);
  if (runtime) return { kind: 'sdk', name: runtime };
  return describeBrowser(ua) ?? describeOther(ua);
}
