import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
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

  it('keys every spelling of an IPv4 address as ipaddr.js reads it (leading zeros are octal there)', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.integer({ min: 0, max: 255 }).map((n) => `0${n.toString(8)}`), fc.constantFrom('00', '08', '1e1', ''));
    fc.assert(
      fc.property(fc.array(octet, { minLength: 4, maxLength: 4 }), (octets) => {
        const address = octets.join('.');
        const expected = ipaddr.isValid(address) ? Buffer.from((ipaddr.process(address) as ipaddr.IPv4).toIPv4MappedAddress().toByteArray()).toString('hex') : null;
        expect(ipKeyHex(address)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
