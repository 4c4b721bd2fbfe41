/** docs/api.md documents every error code, every route and every query parameter the code has. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../src/domain/errors.js';
import { QUERY_PARAMETERS } from '../src/query/parse-filters.js';
import { startHarness, type Harness } from './http-harness.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/api.md'), 'utf8');

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('docs/api.md', () => {
  it.each(Object.entries(ERRORS))('documents %s with its status', (code, { status }) => {
    expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });

  it('documents every route of the OpenAPI document', async () => {
    const paths = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, object> }>().paths;
    for (const [route, operations] of Object.entries(paths)) {
      for (const method of Object.keys(operations)) {
        // Routes appear as `METHOD /path` with {params}; the identity trail is written {type}:{id}.
        const shown = route.replace('{identity}', '{type}:{id}');
        expect(doc, `${method.toUpperCase()} ${shown}`).toContain(`${method.toUpperCase()} ${shown}`);
      }
    }
  });

  it.each(QUERY_PARAMETERS.filter((p) => !p.aliasOf).map((p) => p.name))('documents the query parameter %s', (param) => {
    expect(doc).toContain(`| \`${param}\` |`);
  });

  it.each(QUERY_PARAMETERS.filter((p) => p.aliasOf).map((p) => [p.name, p.aliasOf]))('documents the alias %s of %s', (alias) => {
    expect(doc).toContain(`alias \`${alias}\``);
  });
});
