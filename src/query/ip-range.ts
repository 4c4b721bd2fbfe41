import ipaddr from 'ipaddr.js';
import type { IpRange } from '../domain/filter.js';
import { ipKeyHex } from '../domain/ip.js';

/**
 * An address or CIDR block as an inclusive range of 16-byte keys (the keys of `ipKeyHex`:
 * IPv4 as IPv4-mapped IPv6), or `null` when the text is neither.
 */
export function ipRange(text: string): IpRange | null {
  if (!text.includes('/')) {
    const key = ipKeyHex(text);
    return key === null ? null : { lo: key, hi: key };
  }
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return null;
  }
  const [address, prefix] = parsed;
  const network = ipKeyHex(address.toString());
  if (network === null) return null;
  // An IPv4 prefix counts bits of the last 4 bytes of the mapped form.
  const bits = address.kind() === 'ipv4' ? prefix + 96 : prefix;
  return maskRange(Buffer.from(network, 'hex'), bits);
}

function maskRange(bytes: Buffer, bits: number): IpRange {
  const lo = Buffer.alloc(16);
  const hi = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    lo[i] = bytes[i]! & mask;
    hi[i] = (bytes[i]! & mask) | (~mask & 0xff);
  }
  return { lo: lo.toString('hex'), hi: hi.toString('hex') };
}
