import { macFor, parseKeySetting, verifyMac, type AppKeyRing } from '../../../shared/keys/appKey';

const key = (id: string, fill: number) => parseKeySetting(`${id}:${Buffer.alloc(32, fill).toString('base64')}`);
const ring: AppKeyRing = { current: key('k2', 2), previous: key('k1', 1) };

describe('app key MACs', () => {
  it('verifies a MAC made for the same purpose and message', () => {
    expect(verifyMac(ring, 'command', 'hello', macFor(ring, 'command', 'hello'))).toBe(true);
  });

  it('refuses the MAC for another message, another purpose, or with another key id', () => {
    const mac = macFor(ring, 'command', 'hello');
    expect(verifyMac(ring, 'command', 'hellO', mac)).toBe(false);
    expect(verifyMac(ring, 'continuation', 'hello', mac)).toBe(false);
    expect(verifyMac(ring, 'command', 'hello', { ...mac, kid: 'k1' })).toBe(false);
    expect(verifyMac(ring, 'command', 'hello', { ...mac, kid: 'nope' })).toBe(false);
  });

  it('still verifies what the previous key signed, and nothing once that key is retired', () => {
    const old = macFor({ current: ring.previous! }, 'command', 'hello');
    expect(old.kid).toBe('k1');
    expect(verifyMac(ring, 'command', 'hello', old)).toBe(true);
    expect(verifyMac({ current: ring.current }, 'command', 'hello', old)).toBe(false);
  });

  it('refuses malformed MACs without throwing', () => {
    const mac = macFor(ring, 'command', 'hello');
    for (const bad of ['', 'x', `${mac.mac}=`, `${mac.mac}A`, mac.mac.replace(/./, '+')]) {
      expect(verifyMac(ring, 'command', 'hello', { kid: 'k2', mac: bad })).toBe(false);
    }
  });

  it('refuses short, unnamed or non-base64 key settings without echoing the secret', () => {
    expect(() => parseKeySetting('k1:c2hvcnQ=')).toThrow('at least 32 bytes');
    expect(() => parseKeySetting(Buffer.alloc(32).toString('base64'))).toThrow('<key id>:<base64 secret>');
    expect(() => parseKeySetting('k1:not base64 at all!!')).toThrow('secret must be base64');
  });
});
