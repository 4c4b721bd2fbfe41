import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, CATEGORIES, classifyAction, defaultLog, lookupAction, normaliseAction } from './catalogue.js';

const DOCS = readFileSync(new URL('../../docs/actions.md', import.meta.url), 'utf8');

describe('the catalogue', () => {
  it('never gives one normalised spelling two meanings', () => {
    const seen = new Map<string, string>();
    for (const entry of CATALOGUE) {
      for (const name of entry.names) {
        const key = normaliseAction(name);
        const owner = seen.get(key);
        if (owner !== undefined) expect(owner, `${name} collides`).toBe(entry.description);
        seen.set(key, entry.description);
      }
    }
  });

  it('uses only listed categories', () => {
    for (const entry of CATALOGUE) expect(CATEGORIES).toContain(entry.category);
  });

  // Every action the seed documents and issue 2 name.
  it.each([
    ...['SECRET_SET', 'SECRET_READ', 'SECRET_LIST', 'SECRET_DELETE'].map((a) => [a, 'secrets'] as const),
    ...['PROJECT_CREATE', 'PROJECT_UPDATE', 'PROJECT_DELETE'].map((a) => [a, 'projects'] as const),
    ...['VARIABLE_SET', 'VARIABLE_DELETE', 'ENV_BULK_UPLOAD'].map((a) => [a, 'variables'] as const),
    ...['TEAM_INVITE', 'TEAM_MEMBER_ADD', 'TEAM_MEMBER_REMOVE', 'TEAM_ROLE_CHANGE'].map((a) => [a, 'team'] as const),
    ...['API_KEY_CREATE', 'API_KEY_REVOKE'].map((a) => [a, 'api_keys'] as const),
    ...['USER_LOGIN', 'USER_2FA_ENABLE', 'USER_2FA_DISABLE', 'PASSWORD_CHANGE', 'user.logout', 'session.revoked'].map((a) => [a, 'auth'] as const),
    ...['BILLING_PLAN_CHANGE', 'BILLING_PAYMENT', 'BILLING_CANCEL'].map((a) => [a, 'billing'] as const),
    ...['read', 'write', 'delete', 'list', 'rotate'].map((a) => [a, 'secrets'] as const),
    ...['policy_create', 'policy_update', 'policy_delete', 'policy_bind', 'policy_unbind', 'policy.denied'].map((a) => [a, 'policy'] as const),
    ...['pki_issue', 'pki_revoke'].map((a) => [a, 'pki'] as const),
    ...['dynamic_generate', 'dynamic_revoke'].map((a) => [a, 'dynamic'] as const),
    ...['connector', 'connector_endpoint'].flatMap((r) => ['created', 'updated', 'deleted'].map((v) => [`${r}.${v}`, 'connectors'] as const)),
    ...['created', 'updated', 'deleted'].map((v) => [`organization_setting.${v}`, 'settings'] as const),
    ...['created', 'updated', 'deleted'].map((v) => [`secret.${v}`, 'secrets'] as const),
    ...['member.created', 'member.updated', 'member.deleted'].map((a) => [a, 'team'] as const),
    ...['secret.access', 'agent.access', 'token.refresh'].map((a) => [a, 'secrets'] as const),
    ...['mcp.initialize', 'mcp.tools.call', 'mcp.error', 'mcp.request', 'mcp.response'].map((a) => [a, 'mcp'] as const),
    ...['vigil.key.created', 'vigil.key.revoked', 'vigil.export', 'vigil.retention.updated', 'vigil.retention.purged', 'vigil.legal_hold.updated'].map((a) => [a, 'vigil'] as const),
  ])('knows %s (%s)', (action, category) => {
    expect(lookupAction(action)?.category).toBe(category);
  });
});

describe('lookupAction', () => {
  it.each([
    ['SECRET_READ', 'secret.read'],
    ['secret.read', 'secret_read'],
    ['Secret-Read', 'SECRET_READ'],
    ['project.update', 'PROJECT_UPDATE'],
    ['user.login', 'USER_LOGIN'],
    ['tools/call', 'mcp.tools.call'],
    ['policy.create', 'policy_create'],
    ['api-key:create', 'API_KEY_CREATE'],
  ])('%s is the same action as %s', (a, b) => {
    expect(lookupAction(a)).toBeDefined();
    expect(lookupAction(a)).toBe(lookupAction(b));
  });

  it('returns undefined for unknown actions', () => {
    expect(lookupAction('widget.polished')).toBeUndefined();
  });
});

describe('classifyAction', () => {
  it.each([
    ['SECRET_SET', undefined, { category: 'secrets', crud: 'update' }],
    ['secret.created', undefined, { category: 'secrets', crud: 'create' }],
    ['connector_endpoint.deleted', undefined, { category: 'connectors', crud: 'delete' }],
    ['API_KEY_REVOKE', undefined, { category: 'api_keys', crud: 'delete' }],
    ['read', undefined, { category: 'secrets', crud: 'read' }],
    ['SECRET_READ', 'billing', { category: 'secrets', crud: 'read' }],
    ['widget.polished', 'Widgets', { category: 'widgets', crud: 'other' }],
    ['widget.polished', undefined, { category: 'other', crud: 'other' }],
  ])('%s (sent category %s)', (action, sent, expected) => {
    expect(classifyAction(action, sent)).toEqual(expected);
  });
});

describe('defaultLog', () => {
  it.each([
    ['USER_LOGIN', 'user'],
    ['user.2fa.enable', 'user'],
    ['session.created', 'user'],
    ['mcp.tools.call', 'mcp'],
    ['tools/list', 'mcp'],
    ['SECRET_READ', 'audit'],
    ['vigil.export', 'audit'],
    ['widget.polished', 'audit'],
  ])('%s → %s', (action, log) => {
    expect(defaultLog(action)).toBe(log);
  });
});

describe('docs/actions.md', () => {
  const rows = DOCS.split('\n').filter((line) => line.startsWith('| `'));

  it.each(CATALOGUE.map((e) => [e.names[0]!, e] as const))('documents %s with its category, verb and spellings', (first, entry) => {
    const row = rows.find((line) => line.startsWith(`| \`${first}\``));
    expect(row, `no row for ${first}`).toBeDefined();
    const cells = row!.split('|').map((cell) => cell.trim());
    expect(cells[1]).toBe(entry.names.map((n) => `\`${n}\``).join(', '));
    expect(cells.slice(2, 6)).toEqual([entry.category, entry.crud, defaultLog(first), entry.description]);
  });

  it('has no rows for actions the code does not know', () => {
    expect(rows).toHaveLength(CATALOGUE.length);
  });

  it('lists every category', () => {
    for (const category of CATEGORIES) expect(DOCS).toContain(`\`${category}\``);
  });
});
