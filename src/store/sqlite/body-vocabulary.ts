import type { StoredEvent } from '../../domain/event.js';

/** `true`: keep the value whole; an object: keep those members of it. */
type Keep = true | { readonly [name: string]: Keep };

/**
 * The parts of an event that are vocabulary rather than data: the names and codes a deployment
 * repeats in every event (action, category, the client's kind and user agent, outcome codes, …).
 * A compression dictionary is built from these alone, so that it holds no actor, resource,
 * address, identifier or free text of any event: it outlives the events it was sampled from
 * (retention purges events, not the dictionary), and must not keep what a purge deletes.
 */
const VOCABULARY: Keep = {
  action: true,
  category: true,
  crud: true,
  log: true,
  source: true,
  service: true,
  environment: true,
  tenant: true,
  actor: { type: true },
  resource: { type: true },
  client: { kind: true, name: true, user_agent: true },
  outcome: { success: true, status: true, error_code: true },
  request: { method: true },
};

/**
 * The event's shape with only its vocabulary kept: every member name stays (they are the
 * schema's), every other string becomes "" and every other number 0, in canonical key order.
 */
export function vocabularyOf(event: StoredEvent): string {
  return JSON.stringify(keepVocabulary(event, VOCABULARY));
}

function keepVocabulary(value: unknown, keep: Keep | undefined): unknown {
  if (keep === true) return value;
  if (Array.isArray(value)) return value.map((item) => keepVocabulary(item, undefined));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(value).sort()) {
      out[name] = keepVocabulary((value as Record<string, unknown>)[name], keep?.[name]);
    }
    return out;
  }
  if (typeof value === 'string') return '';
  if (typeof value === 'number') return 0;
  return value;
}

/**
 * A raw-content compression dictionary from the vocabulary of sample events: each distinct
 * vocabulary record once, the most frequent last (zstd reaches the end of a dictionary with the
 * shortest offsets), up to `maxBytes`.
 */
export function vocabularyDictionary(events: readonly StoredEvent[], maxBytes: number): Buffer {
  const counts = new Map<string, number>();
  for (const event of events) {
    const record = vocabularyOf(event);
    counts.set(record, (counts.get(record) ?? 0) + 1);
  }
  const byFrequency = [...counts].sort((a, b) => b[1] - a[1]);
  const chosen: string[] = [];
  let bytes = 0;
  for (const [record] of byFrequency) {
    const size = Buffer.byteLength(record);
    if (bytes + size > maxBytes) break;
    chosen.push(record);
    bytes += size;
  }
  return Buffer.from(chosen.reverse().join(''));
}
