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

function keyOf(address: string): string | null {
  if (!ipaddr.isValid(address)) return null;
  const bytes = ipaddr.process(address).toByteArray();
  const v6 = bytes.length === 4 ? [...new Array(10).fill(0), 0xff, 0xff, ...bytes] : bytes;
  return Buffer.from(v6).toString('hex');
}
