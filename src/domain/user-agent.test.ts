import { describe, expect, it } from 'vitest';
import { describeClient } from './user-agent.js';

describe('describeClient', () => {
  it.each([
    // Browsers
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'browser', 'Chrome 131 on macOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'browser', 'Firefox 133 on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86', 'browser', 'Edge 131 on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'browser', 'Safari 18 on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 'browser', 'Mobile Safari 17 on iOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36', 'browser', 'Chrome 131 on Android'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', 'browser', 'Chrome 130 on Linux'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'browser', 'Chrome 131 on ChromeOS'],
    // Command-line tools
    ['curl/8.5.0', 'cli', 'CLI (curl 8.5)'],
    ['HTTPie/3.2.2', 'cli', 'CLI (HTTPie 3.2)'],
    ['Wget/1.21.4', 'cli', 'CLI (Wget 1.21)'],
    ['Vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3)', 'cli', 'CLI (vault 1.15)'],
    ['aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64 prompt/off command/s3.ls', 'cli', 'CLI (aws-cli 2.15)'],
    ['GitHub CLI 2.40.1', 'cli', 'CLI (gh 2.40)'],
    ['vigil-cli/0.1.0 node/20.20.2', 'cli', 'CLI (vigil-cli 0.1)'],
    ['kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f', 'cli', 'CLI (kubectl 1.29)'],
    ['Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.6', 'cli', 'CLI (PowerShell 7.4)'],
    // SDKs and runtimes
    ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'sdk', 'Node.js'],
    ['node-fetch', 'sdk', 'Node.js'],
    ['undici', 'sdk', 'Node.js'],
    ['axios/1.7.9', 'sdk', 'Node.js'],
    ['node', 'sdk', 'Node.js'],
    ['Node.js/20.20.2', 'sdk', 'Node.js'],
    ['python-requests/2.31.0', 'sdk', 'Python'],
    ['python-httpx/0.27.0', 'sdk', 'Python'],
    ['Python-urllib/3.11', 'sdk', 'Python'],
    ['Python/3.12 aiohttp/3.9.5', 'sdk', 'Python'],
    ['Go-http-client/1.1', 'sdk', 'Go'],
    ['Go-http-client/2.0', 'sdk', 'Go'],
    ['okhttp/4.12.0', 'sdk', 'Java'],
    ['Java/17.0.9', 'sdk', 'Java'],
    ['Apache-HttpClient/4.5.14 (Java/17.0.9)', 'sdk', 'Java'],
    ['Deno/1.40.0', 'sdk', 'Deno'],
    ['reqwest/0.12', 'sdk', 'Rust'],
    ['Faraday v2.9.0', 'sdk', 'Ruby'],
    ['GuzzleHttp/7', 'sdk', 'PHP'],
    // MCP clients
    ['mcp-client/1.0 python', 'mcp', 'MCP / Python'],
    ['MCP Python SDK/1.2.0 python-httpx/0.27.0', 'mcp', 'MCP / Python'],
    ['@modelcontextprotocol/sdk/1.0.4 node/20.20.2', 'mcp', 'MCP / Node.js'],
    ['modelcontextprotocol/sdk', 'mcp', 'MCP / Node.js'],
    ['mcp-go/0.18.0', 'mcp', 'MCP / Go'],
    ['Secryn-MCP/2.1', 'mcp', 'MCP'],
    // Everything else
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'other', 'Unknown'],
    ['AcmeSync/2.3.1 (build 77)', 'other', 'AcmeSync 2.3'],
    ['AcmeSync', 'other', 'AcmeSync'],
    ['', 'other', 'Unknown'],
    ['   ', 'other', 'Unknown'],
    ['!!!', 'other', 'Unknown'],
  ])('%s → %s, %s', (userAgent, kind, name) => {
    expect(describeClient(userAgent)).toEqual({ kind, name });
  });

  it('keeps the name short whatever the agent sends', () => {
    expect(describeClient(`${'A'.repeat(1000)}/1.0`).name.length).toBeLessThanOrEqual(64);
  });
});
