import ipaddr from 'ipaddr.js';
import { BoundedCache } from './bounded-cache.js';

/** Keys of addresses seen lately: an audit log's addresses repeat, and every stored event's is keyed. */
const keys = new BoundedCache<string, string | null>(10_000);

/**
 * IP addresses as 16-byte keys (IPv4 as IPv4-mapped IPv6), in hex, so that one byte-wise range
 * comparison serves exact addresses and CIDR blocks of either family.
 */
export function ipKeyHex(address: string): string | null {
  let key = keys.get(address);
  if (key === undefined) keys.set(address, (key = keyOf(address)));
  return key;
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/**
 * An IPv4 address in its usual spelling: four decimal octets without leading zeros (ipaddr.js
 * reads `010` as octal, so those take the general path). Most addresses are these, and keying
 * them without ipaddr.js's parse is ~3% of an append (BENCHMARKS.md).
 */
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const IPV4_MAPPED = '00000000000000000000ffff';

function keyOf(address: string): string | null {
  const quad = DOTTED_QUAD.exec(address);
  if (quad) return IPV4_MAPPED + quad.slice(1).map((octet) => Number(octet).toString(16).padStart(2, '0')).join('');
  if (!ipaddr.isValid(address)) return null;
  const hex = Buffer.from(ipaddr.process(address).toByteArray()).toString('hex');
  return hex.length === 8 ? IPV4_MAPPED + hex : hex;
}
