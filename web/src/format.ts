/** How event parts are shown: times in the reader's zone, clients, resources, changed values. */
import type { ClientInfo, JsonValue, Resource } from '../../src/domain/event.js';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "3 minutes ago", "yesterday". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const delta = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  }
  return iso;
}

const localFull = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/** The full date in the reader's zone, e.g. "Saturday, 21 November 2026 at 15:30:00 CET". */
export function localDate(iso: string): string {
  return localFull.format(new Date(iso));
}

/** The stored UTC time, microseconds kept: "2026-11-21 14:30:00.123456 UTC". */
export function utcDate(iso: string): string {
  return `${iso.replace('T', ' ').replace(/Z$/, '')} UTC`;
}

/** The hover text of a time: local and UTC. */
export function dateTitle(iso: string): string {
  return `${localDate(iso)}\n${utcDate(iso)}`;
}

const CLIENT_KINDS: Record<string, string> = { browser: 'Browser', cli: 'CLI', sdk: 'SDK', mcp: 'MCP', other: 'Other' };

/** "Chrome 131 on macOS", "CLI", "MCP / Python", "Node.js" — as the server parsed the user agent. */
export function clientLabel(client: ClientInfo | undefined): string {
  if (!client) return '';
  return client.name ?? (client.kind ? CLIENT_KINDS[client.kind] ?? client.kind : '');
}

export function resourceLabel(resource: Resource | undefined): string {
  if (!resource) return '';
  return resource.name ?? resource.path ?? resource.id ?? resource.type;
}

/** A changed or context value as text: strings as they are, anything else as JSON. */
export function valueText(value: JsonValue | undefined): string {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Whether a value is a redaction marker (`[REDACTED:<kind>:<hmac8>]`). */
export function isRedacted(value: JsonValue | undefined): boolean {
  return typeof value === 'string' && value.startsWith('[REDACTED:');
}

/** A stable small number for a name: picks one of the badge colours. */
export function hue(name: string, buckets = 8): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return h % buckets;
}
