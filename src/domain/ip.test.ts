import { describe, expect, it } from 'vitest';
import { ipKeyHex } from './ip.js';

describe('ipKeyHex', () => {
  it('keys IPv4 as IPv4-mapped IPv6 and every spelling of an IPv6 address alike, also when asked again', () => {
    for (let round = 0; round < 2; round++) {
      expect(ipKeyHex('203.0.113.7')).toBe('00000000000000000000ffffcb007107');
      expect(ipKeyHex('::ffff:203.0.113.7')).toBe('00000000000000000000ffffcb007107');
      expect(ipKeyHex('2001:db8::1')).toBe('20010db8000000000000000000000001');
      expect(ipKeyHex('2001:0DB8:0:0:0:0:0:1')).toBe('20010db8000000000000000000000001');
      expect(ipKeyHex('203.0.113.8')).toBe('00000000000000000000ffffcb007108');
    }
  });

  it('has no key for what is not an address, however often asked', () => {
    for (let round = 0; round < 2; round++) {
      expect(ipKeyHex('203.0.113.256')).toBeNull();
      expect(ipKeyHex('not an address')).toBeNull();
    }
  });
});
