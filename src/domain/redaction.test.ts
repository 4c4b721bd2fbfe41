import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Change, ContextValue } from './event.js';
import {
  DEFAULT_RULES,
  extendRules,
  isSensitiveName,
  redactEvent,
  redactText,
  type RedactableEvent,
} from './redaction.js';

const KEY = new TextEncoder().encode('tenant-acme-redaction-key');
const OTHER_KEY = new TextEncoder().encode('tenant-globex-redaction-key');

// Fake credentials in the real formats, built here so no scanner mistakes this file for a leak.
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const FAKE = {
  awsAccessKey: 'AKIA' + 'IOSFODNN7EXAMPLE',
  awsSessionKey: 'ASIA' + 'Y34FZKBOKMUTVV7A',
  awsSecretKey: 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY',
  githubPat: 'ghp_' + 'x7Kq2mNp9Rt4Wv6Yb8Zc1Df3Gh5Jk7Lm9Np1',
  githubApp: 'ghs_' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2',
  githubFine: 'github_pat_' + '11ABCDEFG0123456789abc_' + 'x'.repeat(30) + 'Y9z8W7v6U5t4S3r2Q1p0O9n8M7l6K5',
  slack: 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
  stripe: 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc',
  stripeRestricted: 'rk_live_' + '51H8sKJ2eZvKYlo2C0123456789',
  google: 'AIza' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q',
  openai: 'sk-proj-' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3',
  anthropic: 'sk-ant-api03-' + 'Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7',
  jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '1234567890', name: 'John Doe', iat: 1516239022 })}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
  pem: ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF', 'ZfqUh5wxOe6hSTnxPEL9b2NvbCFxVHgwWTzJzYhbcWdoL8Yy4Aq1pHaOrs4xjn0w', '-----END RSA PRIVATE KEY-----'].join('\n'),
  opensshKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', '-----END OPENSSH PRIVATE KEY-----'].join('\n'),
};

function hmac8(value: string, key = KEY): string {
  return createHmac('sha256', key).update(value).digest('hex').slice(0, 8);
}

function event(extra: Partial<RedactableEvent> = {}): RedactableEvent {
  return { actor: { type: 'user', id: 'u_1', name: 'Alice', email: 'alice@acme.example' }, ...extra };
}

function withContext(context: Record<string, ContextValue>): RedactableEvent {
  return event({ context });
}

function withChange(change: Change): RedactableEvent {
  return event({ changes: [{ field: 'rotation_days', old: 30, new: 90 }, change] });
}

describe('credentials found anywhere', () => {
  it.each([
    ['an AWS access key id', FAKE.awsAccessKey, 'aws_access_key'],
    ['an AWS session key id', FAKE.awsSessionKey, 'aws_access_key'],
    ['a GitHub personal token', FAKE.githubPat, 'github_token'],
    ['a GitHub app token', FAKE.githubApp, 'github_token'],
    ['a fine-grained GitHub token', FAKE.githubFine, 'github_token'],
    ['a Slack bot token', FAKE.slack, 'slack_token'],
    ['a Stripe live key', FAKE.stripe, 'stripe_key'],
    ['a Stripe restricted key', FAKE.stripeRestricted, 'stripe_key'],
    ['a Google API key', FAKE.google, 'google_api_key'],
    ['an OpenAI key', FAKE.openai, 'openai_key'],
    ['an Anthropic key', FAKE.anthropic, 'anthropic_key'],
    ['a JWT', FAKE.jwt, 'jwt'],
    ['an RSA private key', FAKE.pem, 'private_key'],
    ['an OpenSSH private key', FAKE.opensshKey, 'private_key'],
  ])('%s in a reason, replaced in place', (_name, secret, kind) => {
    const { event: out, redactions } = redactEvent(event({ outcome: { success: false, reason: `rejected ${secret} at the gate` } }), KEY);
    expect(out.outcome?.reason).toBe(`rejected [REDACTED:${kind}:${hmac8(secret)}] at the gate`);
    expect(redactions).toEqual(['outcome.reason']);
  });

  it.each([
    ['postgres://app:s3cr3t-P4ss@db.internal:5432/prod', 's3cr3t-P4ss', 'postgres://app:#@db.internal:5432/prod'],
    ['mysql://root:hunter2@10.0.0.5/db?ssl=true', 'hunter2', 'mysql://root:#@10.0.0.5/db?ssl=true'],
    ['redis://:p%40ss@cache:6379/0', 'p%40ss', 'redis://:#@cache:6379/0'],
    ['mongodb+srv://svc:Zq8%21xx@cluster0.example.net/app', 'Zq8%21xx', 'mongodb+srv://svc:#@cluster0.example.net/app'],
    ['connect to https://deploy:tok3n@git.example.com/repo.git failed', 'tok3n', 'connect to https://deploy:#@git.example.com/repo.git failed'],
  ])('keeps a DSN readable but its password: %s', (dsn, password, expected) => {
    const { event: out, redactions } = redactEvent(withContext({ database: dsn }), KEY);
    expect(out.context?.['database']).toBe(expected.replace('#', `[REDACTED:dsn_password:${hmac8(password)}]`));
    expect(redactions).toEqual(['context.database']);
  });

  it.each([
    ['Authorization: Bearer abc123def456ghi789', 'abc123def456ghi789', 'Authorization: Bearer #'],
    ['authorization=Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA==', 'authorization=Basic #'],
    ['sent header "Authorization": "token_9f8e7d6c5b"', 'token_9f8e7d6c5b', 'sent header "Authorization": "#"'],
    ['upstream said Bearer 0a1b2c3d4e5f6a7b8c9d expired', '0a1b2c3d4e5f6a7b8c9d', 'upstream said Bearer # expired'],
  ])('an Authorization value: %s', (text, secret, expected) => {
    expect(redactText(text, KEY)).toBe(expected.replace('#', `[REDACTED:bearer_token:${hmac8(secret)}]`));
  });

  it.each([
    ['a query string', '/v1/secrets?api_key=abc123&page=2', 'abc123', '/v1/secrets?api_key=#&page=2', 'secret'],
    ['a presigned URL', '/b/o?X-Amz-Signature=f00dbabe&x=1', 'f00dbabe', '/b/o?X-Amz-Signature=#&x=1', 'secret'],
    ['a libpq DSN', 'host=db user=app password=hunter2 dbname=prod', 'hunter2', 'host=db user=app password=# dbname=prod', 'password'],
    ['an env line', 'export DB_PASSWORD="pa ss"', 'pa ss', 'export DB_PASSWORD="#"', 'password'],
    ['JSON text', '{"client_secret": "cs-123", "client_id": "ci-1"}', 'cs-123', '{"client_secret": "#", "client_id": "ci-1"}', 'secret'],
  ])('a sensitive assignment in %s', (_name, text, secret, expected, kind) => {
    expect(redactText(text, KEY)).toBe(expected.replace('#', `[REDACTED:${kind}:${hmac8(secret)}]`));
  });

  it('an AWS secret key next to AWS words, and the key id beside it', () => {
    const text = `AWS credentials ${FAKE.awsAccessKey} / ${FAKE.awsSecretKey}`;
    expect(redactText(text, KEY)).toBe(
      `AWS credentials [REDACTED:aws_access_key:${hmac8(FAKE.awsAccessKey)}] / [REDACTED:aws_secret_key:${hmac8(FAKE.awsSecretKey)}]`,
    );
  });

  it('several credentials in one string, each with its own marker', () => {
    const out = redactText(`${FAKE.githubPat} then ${FAKE.slack}`, KEY);
    expect(out).toBe(`[REDACTED:github_token:${hmac8(FAKE.githubPat)}] then [REDACTED:slack_token:${hmac8(FAKE.slack)}]`);
  });

  it('an unterminated private key block up to the end', () => {
    const cut = FAKE.pem.split('\n').slice(0, 2).join('\n');
    expect(redactText(`key: ${cut}`, KEY)).toBe(`key: [REDACTED:private_key:${hmac8(cut)}]`);
  });
});

describe('fields named like secrets', () => {
  it.each([
    ['context.api_token', withContext({ api_token: 'plain-words' }), 'context.api_token', 'secret'],
    ['context.password', withContext({ password: 'hunter2' }), 'context.password', 'password'],
    ['context.DB_PASSWORD', withContext({ DB_PASSWORD: 'x' }), 'context.DB_PASSWORD', 'password'],
    ['context.clientSecret', withContext({ clientSecret: 'x' }), 'context.clientSecret', 'secret'],
    ['context.x-api-key', withContext({ 'x-api-key': 'x' }), 'context["x-api-key"]', 'secret'],
    ['context.cookie', withContext({ cookie: 'sid=1' }), 'context.cookie', 'secret'],
    ['context.credentials', withContext({ credentials: 'a:b' }), 'context.credentials', 'secret'],
    ['context.value', withContext({ value: 'v' }), 'context.value', 'secret'],
    ['changes[1].new (field password)', withChange({ field: 'password', old: 'old-pass', new: 'new-pass' }), 'changes[1].new', 'password'],
    ['changes[1].old (field value)', withChange({ field: 'value', old: 'old-v', new: null }), 'changes[1].old', 'secret'],
    ['a nested key of a change value', withChange({ field: 'config', new: { db: { password: 'p' }, port: 5432 } }), 'changes[1].new.db.password', 'password'],
    ['every string under a sensitive change', withChange({ field: 'credentials', new: ['a', { user: 'b' }] }), 'changes[1].new[1].user', 'secret'],
  ])('%s', (_name, input, path, kind) => {
    const { event: out, redactions } = redactEvent(input, KEY);
    expect(redactions).toContain(path);
    expect(JSON.stringify(out)).toContain(`[REDACTED:${kind}:`);
  });

  it('labels the value by the credential it holds when it is one', () => {
    const { event: out } = redactEvent(withContext({ api_token: FAKE.githubPat, secret: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo' }), KEY);
    expect(out.context).toEqual({
      api_token: `[REDACTED:github_token:${hmac8(FAKE.githubPat)}]`,
      secret: `[REDACTED:high_entropy:${hmac8('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo')}]`,
    });
  });

  it('records every redacted path in walk order', () => {
    const input = event({
      resource: { type: 'secret', path: `s3://bucket/${FAKE.awsAccessKey}` },
      changes: [{ field: 'rotation_days', old: 30, new: 90 }, { field: 'token', old: 'a', new: 'b' }],
      context: { api_token: 't', note: 'fine' },
    });
    expect(redactEvent(input, KEY).redactions).toEqual(['resource.path', 'changes[1].old', 'changes[1].new', 'context.api_token']);
  });

  it('leaves booleans, numbers, nulls and empty strings of sensitive fields', () => {
    const input = event({
      context: { has_password: true, key: 42, token: '' },
      changes: [{ field: 'secret', old: null, new: 7 }],
    });
    const result = redactEvent(input, KEY);
    expect(result.redactions).toEqual([]);
    expect(result.event).toEqual(input);
  });
});

describe('ordinary values left alone', () => {
  const ordinary: [string, RedactableEvent][] = [
    ['a path naming a password', event({ resource: { type: 'secret', name: 'DB_PASSWORD', path: 'prod/db/password' } })],
    ['a request path to a secret', event({ request: { id: 'req_1', path: '/v1/secrets/prod/db/password?version=3' } })],
    ['UUIDs', event({ session_id: '0193a5d2-7c1e-7b3a-9f00-1234567890ab', resource: { type: 'secret', id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' } })],
    ['a sha256 commit', withContext({ commit: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })],
    ['a sha1 commit in an AWS deploy note', withContext({ note: 'deployed aws-infra at 3f786850e387550fdab836ed7e6dc881de23001b' })],
    ['emails and names', event({ actor: { type: 'user', id: 'u_123', name: 'Alice Smith', email: 'alice@acme.example' } })],
    ['ISO dates', withContext({ expires: '2026-11-21T14:30:00.123456Z', last_rotated: '2026-01-01' })],
    ['English sentences', event({ outcome: { success: false, reason: 'The token was rejected because the bearer of this key is not allowed here' } })],
    ['base64 of short text', withContext({ payload: 'aGVsbG8gd29ybGQ=' })],
    ['rotation days', withChange({ field: 'rotation_days', old: 30, new: 90 })],
    ['descriptions of secrets', withContext({ secret_name: 'DB_PASSWORD', token_type: 'Bearer', key_id: 'k_1', password_changed_at: '2026-01-01', auth_method: 'oidc', public_key: 'ssh-ed25519 AAAAC3Nza' })],
    ['a browser user agent', event({ client: { user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', name: 'Chrome 131 on macOS' } })],
    ['a URL without credentials', withContext({ callback: 'https://example.com/hook?page=2&sort=asc' })],
    ['a policy reason', event({ outcome: { success: false, reason: 'time_window', error_code: 'POLICY_DENIED' } })],
    ['domain names and versions', withContext({ host: 'api.internal.example.com', version: 'v1.2.3-rc.1' })],
    ['a public certificate', withContext({ cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' })],
    ['a marker already in place', withContext({ password: `[REDACTED:password:${hmac8('x')}]` })],
  ];

  it.each(ordinary)('%s', (_name, input) => {
    const result = redactEvent(input, KEY);
    expect(result.redactions).toEqual([]);
    expect(result.event).toEqual(input);
  });
});

describe('markers', () => {
  it('are equal for equal values and differ across tenant keys', () => {
    const a = redactText(`x ${FAKE.stripe}`, KEY);
    expect(redactText(`y ${FAKE.stripe}`, KEY).slice(2)).toBe(a.slice(2));
    expect(redactText(`x ${FAKE.stripe}`, OTHER_KEY)).not.toBe(a);
    expect(redactText(`x ${FAKE.stripe}`, OTHER_KEY)).toBe(`x [REDACTED:stripe_key:${hmac8(FAKE.stripe, OTHER_KEY)}]`);
  });

  it('never contain the value', () => {
    for (const secret of Object.values(FAKE)) {
      const out = redactText(`aws ${secret}`, KEY);
      expect(out).not.toContain(secret);
      expect(out).toMatch(/^aws \[REDACTED:[a-z_]+:[0-9a-f]{8}\]$/);
    }
  });

  it('leave the input untouched', () => {
    const input = withContext({ password: 'hunter2' });
    const copy = structuredClone(input);
    redactEvent(input, KEY);
    expect(input).toEqual(copy);
  });
});

describe('rules', () => {
  it.each([
    ['api_token', true],
    ['apiKey', true],
    ['APIKey', true],
    ['X-API-Key', true],
    ['client_secret', true],
    ['secrets', true],
    ['passwordConfirmation', true],
    ['password_hash', true],
    ['session_token', true],
    ['Authorization', true],
    ['set-cookie', true],
    ['secret_name', false],
    ['key_id', false],
    ['token_expires_at', false],
    ['ssh_public_key', false],
    ['rotation_days', false],
    ['monkey', false],
    ['author', false],
    ['session_id', false],
  ])('%s sensitive: %s', (name, sensitive) => {
    expect(isSensitiveName(name)).toBe(sensitive);
  });

  it('can be extended with field names and patterns', () => {
    const rules = extendRules(DEFAULT_RULES, {
      sensitiveWords: ['pin'],
      patterns: [{ kind: 'acme_token', pattern: /acme_[0-9a-f]{16}/ }],
    });
    const input = withContext({ pin: '1234', note: 'used acme_0123456789abcdef today' });
    const { event: out, redactions } = redactEvent(input, KEY, rules);
    expect(redactions).toEqual(['context.pin', 'context.note']);
    expect(out.context?.['note']).toBe(`used [REDACTED:acme_token:${hmac8('acme_0123456789abcdef')}] today`);
    expect(redactEvent(input, KEY).redactions).toEqual([]);
    expect(DEFAULT_RULES.sensitiveWords).not.toContain('pin');
  });
});

describe('property: a generated credential never survives', () => {
  const alnum = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  const chars = (min: number, max = min) => fc.string({ unit: alnum, minLength: min, maxLength: max });
  const upper = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 16, maxLength: 16 });
  const b64 = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'), minLength: 37, maxLength: 37 });

  /** [the whole credential text, the part that must disappear] */
  const credential = fc.oneof(
    upper.map((s) => ['AKIA' + s, 'AKIA' + s]),
    b64.map((s) => ['AWS ' + 'Aa1' + s, 'Aa1' + s]),
    fc.tuple(fc.constantFrom('p', 'o', 'u', 's', 'r'), chars(36, 60)).map(([t, s]) => [`gh${t}_${s}`, `gh${t}_${s}`]),
    chars(22, 80).map((s) => ['github_pat_' + s, 'github_pat_' + s]),
    fc.tuple(fc.constantFrom('a', 'b', 'p', 'r', 's'), chars(10, 40)).map(([t, s]) => [`xox${t}-${s}`, `xox${t}-${s}`]),
    fc.tuple(fc.constantFrom('sk_live_', 'rk_live_', 'sk_test_'), chars(16, 40)).map(([p, s]) => [p + s, p + s]),
    chars(35).map((s) => ['AIza' + s, 'AIza' + s]),
    chars(20, 60).map((s) => ['sk-ant-api03-' + s, 'sk-ant-api03-' + s]),
    chars(20, 60).map((s) => ['sk-proj-9' + s, 'sk-proj-9' + s]),
    fc.tuple(fc.jsonValue(), chars(10, 50)).map(([payload, sig]) => {
      const jwt = `${b64url({ alg: 'RS256' })}.${b64url({ payload })}.${sig}`;
      return [jwt, jwt];
    }),
    chars(1, 200).map((s) => {
      const pem = `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----`;
      return [pem, pem];
    }),
    fc.tuple(chars(1, 10), chars(6, 30)).map(([user, pass]) => [`postgres://${user}:${pass}@db.example:5432/x`, `:${pass}@`]),
    chars(8, 40).map((s) => [`Authorization: Bearer ${s}`, ` ${s}`]),
  );
  const separator = fc.constantFrom(' ', '\n', ': ', ' (', '"', ', ', '\t');

  it('in any surrounding text', () => {
    fc.assert(
      fc.property(fc.string(), separator, credential, separator, fc.string(), (before, sep1, [text, secret], sep2, after) => {
        const out = redactText(`${before}${sep1}${text}${sep2}${after}`, KEY);
        expect(out).not.toContain(secret);
      }),
      { numRuns: 2000 },
    );
  });

  it('in a sensitive field, whatever it is', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        fc.pre(!/^\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]$/.test(value));
        const { event: out } = redactEvent(withContext({ client_secret: value }), KEY);
        expect(out.context?.['client_secret']).toMatch(/^\[REDACTED:[a-z_]+:[0-9a-f]{8}\]$/);
      }),
    );
  });
});

describe('the memo of clean strings', () => {
  it('never lets a string seen clean hide a credential in another, nor remembers credentials', () => {
    const key = new Uint8Array(32).fill(7);
    const token = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    expect(redactText('deploy finished', key)).toBe('deploy finished');
    expect(redactText('deploy finished', key)).toBe('deploy finished');
    for (let i = 0; i < 3; i++) expect(redactText(`token ${token}`, key)).not.toContain(token);
  });
});
