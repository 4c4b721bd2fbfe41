import type { IpRange } from '../../domain/filter.js';
import type { Where } from './filter-sql.js';

/** The first 12 bytes of an IPv4-mapped IPv6 address (`::ffff:0:0/96`), in hex. */
const MAPPED = '00000000000000000000ffff';
const MAPPED_LO = `${MAPPED}00000000`;
const MAPPED_HI = `${MAPPED}ffffffff`;

/**
 * The `ip` column's value for a 16-byte address key (`ipKeyHex`): an IPv4 address as its own 4
 * bytes (12 bytes an event less for the usual address; rows written before keep the mapped
 * form), anything else whole.
 */
export function ipColumn(keyHex: string): Buffer {
  return Buffer.from(keyHex.startsWith(MAPPED) ? keyHex.slice(MAPPED.length) : keyHex, 'hex');
}

/**
 * SQL for an `ip` column within `range` (16-byte keys): the 4-byte keys of the IPv4 addresses it
 * holds and the 16-byte keys of the rest, lengths compared first because a 4-byte key sorts
 * among 16-byte ones by its bytes alone. The 16-byte part also finds IPv4 addresses stored
 * mapped, as they were written before.
 */
export function ipRangeWhere({ lo, hi }: IpRange): Where {
  const whole: Where = { sql: '(length(ip) = 16 AND ip BETWEEN ? AND ?)', params: [Buffer.from(lo, 'hex'), Buffer.from(hi, 'hex')] };
  if (hi < MAPPED_LO || lo > MAPPED_HI) return whole;
  const [lo4, hi4] = [lo > MAPPED_LO ? lo : MAPPED_LO, hi < MAPPED_HI ? hi : MAPPED_HI].map((key) => Buffer.from(key.slice(MAPPED.length), 'hex'));
  return { sql: `(${whole.sql} OR (length(ip) = 4 AND ip BETWEEN ? AND ?))`, params: [...whole.params, lo4, hi4] };
}
