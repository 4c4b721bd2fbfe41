/**
 * The action catalogue: known actions and their category and CRUD verb (DESIGN.md §2), documented
 * in docs/actions.md (a test keeps the two in step).
 *
 * Producers spell actions their own way (`SECRET_READ`, `secret.read`, `policy_create`,
 * `mcp.tools.call`, `tools/call`). Lookup is on a normalised form: lower case, with `_ - : /`
 * read as `.`, so `SECRET_READ`, `secret.read` and `Secret-Read` are one action. The event keeps
 * the action as sent.
 */
import type { Crud, LogName } from './event.js';

export const CATEGORIES = [
  'secrets',
  'projects',
  'variables',
  'team',
  'api_keys',
  'auth',
  'billing',
  'policy',
  'pki',
  'dynamic',
  'connectors',
  'settings',
  'mcp',
  'system',
  'vigil',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** One meaning, with the spellings producers use for it. */
export interface CatalogueEntry {
  /** Spellings as the products that use them write them; all resolve to this entry. */
  names: readonly string[];
  category: Category;
  crud: Crud;
  /** One line for docs/actions.md and the dashboard. */
  description: string;
}

function entry(category: Category, crud: Crud, description: string, ...names: string[]): CatalogueEntry {
  return { names, category, crud, description };
}

/** Create, update and delete of one resource, in the past tense (`connector.created`). */
function lifecycle(category: Category, resource: string, label: string, ...aliases: string[]): CatalogueEntry[] {
  const spell = (verb: string) => [resource, ...aliases].map((name) => `${name}.${verb}`);
  return [
    entry(category, 'create', `${label} created`, ...spell('created')),
    entry(category, 'update', `${label} updated`, ...spell('updated')),
    entry(category, 'delete', `${label} deleted`, ...spell('deleted')),
  ];
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  // Secrets (Secryn constants, ScaiVault verbs, Token Vault events, dotted forms)
  entry('secrets', 'update', 'Secret value set (created or replaced)', 'SECRET_SET', 'secret.set', 'write', 'secret.write'),
  entry('secrets', 'read', 'Secret value read', 'SECRET_READ', 'secret.read', 'read'),
  entry('secrets', 'read', 'Secret names listed', 'SECRET_LIST', 'secret.list', 'list'),
  entry('secrets', 'delete', 'Secret deleted', 'SECRET_DELETE', 'secret.delete', 'delete', 'secret.deleted'),
  entry('secrets', 'create', 'Secret created', 'secret.create', 'secret.created'),
  entry('secrets', 'update', 'Secret updated', 'secret.update', 'secret.updated'),
  entry('secrets', 'update', 'Secret rotated to a new value', 'rotate', 'secret.rotate', 'secret.rotated'),
  entry('secrets', 'read', 'Credential read directly from the dashboard', 'secret.access'),
  entry('secrets', 'read', 'Credential retrieved by an agent via API or MCP', 'agent.access'),
  entry('secrets', 'update', 'OAuth or API token refreshed', 'token.refresh', 'token.refreshed'),
  // Projects
  entry('projects', 'create', 'Project created', 'PROJECT_CREATE', 'project.create', 'project.created'),
  entry('projects', 'update', 'Project updated', 'PROJECT_UPDATE', 'project.update', 'project.updated'),
  entry('projects', 'delete', 'Project deleted', 'PROJECT_DELETE', 'project.delete', 'project.deleted'),
  // Variables
  entry('variables', 'update', 'Variable set', 'VARIABLE_SET', 'variable.set'),
  entry('variables', 'delete', 'Variable deleted', 'VARIABLE_DELETE', 'variable.delete'),
  entry('variables', 'update', 'Environment file uploaded in bulk', 'ENV_BULK_UPLOAD', 'env.bulk_upload'),
  // Team and members
  entry('team', 'create', 'Member invited', 'TEAM_INVITE', 'team.invite', 'member.invited'),
  entry('team', 'create', 'Member added', 'TEAM_MEMBER_ADD', 'team.member.add', 'member.created', 'member.added'),
  entry('team', 'delete', 'Member removed', 'TEAM_MEMBER_REMOVE', 'team.member.remove', 'member.deleted', 'member.removed'),
  entry('team', 'update', 'Member role changed', 'TEAM_ROLE_CHANGE', 'team.role.change', 'member.updated', 'member.role_changed'),
  // API keys
  entry('api_keys', 'create', 'API key created', 'API_KEY_CREATE', 'api_key.create', 'api_key.created'),
  entry('api_keys', 'delete', 'API key revoked', 'API_KEY_REVOKE', 'api_key.revoke', 'api_key.revoked'),
  // Authentication and sessions
  entry('auth', 'other', 'User logged in (or failed to)', 'USER_LOGIN', 'user.login'),
  entry('auth', 'other', 'User logged out', 'USER_LOGOUT', 'user.logout'),
  entry('auth', 'create', 'Session started', 'session.created', 'session.start'),
  entry('auth', 'update', 'Session refreshed', 'session.refreshed', 'session.refresh'),
  entry('auth', 'delete', 'Session ended, revoked or expired', 'session.revoked', 'session.expired', 'session.end'),
  entry('auth', 'update', 'Two-factor authentication enabled', 'USER_2FA_ENABLE', 'user.2fa.enable'),
  entry('auth', 'update', 'Two-factor authentication disabled', 'USER_2FA_DISABLE', 'user.2fa.disable'),
  entry('auth', 'update', 'Password changed', 'PASSWORD_CHANGE', 'password.change', 'user.password.change'),
  // Billing
  entry('billing', 'update', 'Plan changed', 'BILLING_PLAN_CHANGE', 'billing.plan.change'),
  entry('billing', 'create', 'Payment made', 'BILLING_PAYMENT', 'billing.payment'),
  entry('billing', 'delete', 'Subscription cancelled', 'BILLING_CANCEL', 'billing.cancel'),
  // Policies (ScaiVault verbs; Token Vault denials)
  entry('policy', 'create', 'Policy created', 'policy_create', 'policy.created'),
  entry('policy', 'update', 'Policy updated', 'policy_update', 'policy.updated'),
  entry('policy', 'delete', 'Policy deleted', 'policy_delete', 'policy.deleted'),
  entry('policy', 'update', 'Policy bound to an identity', 'policy_bind', 'policy.bound'),
  entry('policy', 'update', 'Policy unbound from an identity', 'policy_unbind', 'policy.unbound'),
  entry('policy', 'other', 'Access blocked by a policy (see outcome.reason)', 'policy.denied'),
  // PKI and dynamic secrets
  entry('pki', 'create', 'Certificate issued', 'pki_issue', 'certificate.issued'),
  entry('pki', 'delete', 'Certificate revoked', 'pki_revoke', 'certificate.revoked'),
  entry('dynamic', 'create', 'Dynamic credential lease generated', 'dynamic_generate', 'lease.created'),
  entry('dynamic', 'delete', 'Dynamic credential lease revoked', 'dynamic_revoke', 'lease.revoked'),
  // Connectors and settings (Krosyn)
  ...lifecycle('connectors', 'connector', 'Connector'),
  ...lifecycle('connectors', 'connector_endpoint', 'Connector endpoint', 'endpoint'),
  ...lifecycle('settings', 'organization_setting', 'Organization setting', 'setting', 'organization'),
  // MCP (method names such as `tools/call` also resolve)
  entry('mcp', 'other', 'MCP session initialised', 'mcp.initialize', 'initialize'),
  entry('mcp', 'other', 'MCP tool called', 'mcp.tools.call', 'tools/call'),
  entry('mcp', 'read', 'MCP tools listed', 'mcp.tools.list', 'tools/list'),
  entry('mcp', 'read', 'MCP resource read', 'mcp.resources.read', 'resources/read'),
  entry('mcp', 'read', 'MCP resources listed', 'mcp.resources.list', 'resources/list'),
  entry('mcp', 'read', 'MCP prompt fetched', 'mcp.prompts.get', 'prompts/get'),
  entry('mcp', 'other', 'MCP request received (metadata only)', 'mcp.request'),
  entry('mcp', 'other', 'MCP response sent (metadata only)', 'mcp.response'),
  entry('mcp', 'other', 'MCP error or validation failure', 'mcp.error'),
  // The host product itself
  entry('system', 'other', 'System notification sent (e.g. expiration digest)', 'system.notification', 'expiration_digest.sent'),
  // Vigil's own events
  entry('vigil', 'create', 'Vigil API key created', 'vigil.key.created'),
  entry('vigil', 'delete', 'Vigil API key revoked', 'vigil.key.revoked'),
  entry('vigil', 'create', 'Viewer token minted (read-only access for an embedded log viewer)', 'vigil.viewer_token.created'),
  entry('vigil', 'read', 'Events exported', 'vigil.export'),
  entry('vigil', 'update', 'Retention policy changed', 'vigil.retention.updated'),
  entry('vigil', 'delete', 'Events purged by retention', 'vigil.retention.purged'),
  entry('vigil', 'update', 'Legal hold set or lifted', 'vigil.legal_hold.updated'),
];

/** The form lookups use: lower case, `_ - : /` read as `.`. */
export function normaliseAction(action: string): string {
  return action.toLowerCase().replace(/[_:/-]/g, '.');
}

const BY_NAME: ReadonlyMap<string, CatalogueEntry> = new Map(
  CATALOGUE.flatMap((e) => e.names.map((name) => [normaliseAction(name), e] as const)),
);

/** The catalogue entry for an action in any of its spellings, or `undefined` when unknown. */
export function lookupAction(action: string): CatalogueEntry | undefined {
  return BY_NAME.get(normaliseAction(action));
}

/**
 * Category and CRUD verb of an action: the catalogue's when the action is known; otherwise the
 * category the producer sent (lower-cased) or `other`, and crud `other`.
 */
export function classifyAction(action: string, sentCategory?: string): { category: string; crud: Crud } {
  const known = lookupAction(action);
  if (known) return { category: known.category, crud: known.crud };
  return { category: sentCategory?.toLowerCase() ?? 'other', crud: 'other' };
}

/** The log an event goes to when the producer did not say: auth → `user`, MCP → `mcp`, else `audit`. */
export function defaultLog(action: string): LogName {
  const category = lookupAction(action)?.category;
  if (category === 'auth') return 'user';
  if (category === 'mcp') return 'mcp';
  return 'audit';
}
