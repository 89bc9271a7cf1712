import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import { openToken, sealPage, storePaging, type ListBinding } from '../../../shared/useCases/continuation';

const key = (id: string, fill: number) => parseKeySetting(`${id}:${Buffer.alloc(32, fill).toString('base64')}`);
const ring: AppKeyRing = { current: key('k2', 2), previous: key('k1', 1) };
const bobMine: ListBinding = { list: 'requests:mine', callerId: 'bob', filters: { status: undefined } };
const STORE_TOKEN = Buffer.from(JSON.stringify(['n', '2025-03-01T08:00:00.000Z', 'req-7'])).toString('base64url');

function sealed(binding: ListBinding, keys: AppKeyRing = ring): string {
  return sealPage(keys, binding, { items: [], continuationToken: STORE_TOKEN }).continuationToken!;
}

const refusal = expect.objectContaining({ name: 'StoreError', code: 'invalid_continuation' });

describe('continuation tokens', () => {
  it('continue the list, caller and filters that issued them', () => {
    expect(openToken(ring, bobMine, sealed(bobMine))).toBe(STORE_TOKEN);
    const filtered: ListBinding = { ...bobMine, filters: { status: 'approved' } };
    expect(openToken(ring, filtered, sealed(filtered))).toBe(STORE_TOKEN);
  });

  it('leave a last page without a token as it is', () => {
    expect(sealPage(ring, bobMine, { items: [1] })).toEqual({ items: [1] });
  });

  it.each<[string, ListBinding]>([
    ['another caller (carol)', { ...bobMine, callerId: 'carol' }],
    ['another view (received)', { ...bobMine, list: 'requests:received' }],
    ['another view (all)', { ...bobMine, list: 'requests:all' }],
    ['another status filter', { ...bobMine, filters: { status: 'approved' } }],
    ['another list (policies)', { list: 'policies', callerId: 'bob' }],
  ])('refuse a token used with %s', (_, other) => {
    expect(() => openToken(ring, other, sealed(bobMine))).toThrow(refusal);
  });

  it('refuse a tampered token, a bare store token and garbage', () => {
    const token = sealed(bobMine);
    const [version, kid, mac] = token.split('.');
    const otherPosition = Buffer.from(JSON.stringify(['n', '2099-01-01T00:00:00.000Z', 'z'])).toString('base64url');
    for (const bad of [
      `${version}.${kid}.${mac}.${otherPosition}`,
      `${version}.${kid}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}.${STORE_TOKEN}`,
      `${version}.k9.${mac}.${STORE_TOKEN}`,
      `${version}.${kid}.${mac}.`,
      STORE_TOKEN,
      'c1',
      '',
      '....',
    ]) {
      expect(() => openToken(ring, bobMine, bad)).toThrow(refusal);
    }
  });

  it('still open across a key rotation (issued under the previous key), but not under an unknown key', () => {
    const old = sealed(bobMine, { current: key('k1', 1) });
    expect(openToken(ring, bobMine, old)).toBe(STORE_TOKEN);
    expect(() => openToken({ current: key('k3', 3) }, bobMine, old)).toThrow(refusal);
  });

  it('leave the page size free and pass no token to the store on a first page', () => {
    expect(storePaging(ring, bobMine, { top: 7, continuationToken: sealed(bobMine) })).toEqual({
      top: 7,
      continuationToken: STORE_TOKEN,
    });
    expect(storePaging(ring, bobMine, { top: 7 })).toEqual({ top: 7 });
  });
});
