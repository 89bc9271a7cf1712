import { GENESIS_HASH } from '../../../shared/domain/auditChain';
import { canonicalJson, sha256Hex } from '../../../shared/domain/canonicalJson';
import {
  digestHash,
  MAX_DIGEST_HEADS,
  nextDigestBodies,
  parseDigest,
  verifyDigestChain,
  type AuditDigest,
  type DigestBody,
} from '../../../shared/domain/auditDigest';

const hex = (char: string) => char.repeat(64);
const sealed = (body: DigestBody): AuditDigest => ({
  ...body,
  digestHash: digestHash(body),
  signature: { kid: 'k', mac: 'm'.repeat(43) },
});

/** Digests taken one after another, each listing `heads[i]`. */
function chain(...heads: { requestId: string; seq: number; hash: string }[][]): AuditDigest[] {
  const digests: AuditDigest[] = [];
  heads.forEach((list, hour) => {
    for (const body of nextDigestBodies(
      digests.at(-1),
      list,
      `2026-01-01T${String(hour + 1).padStart(2, '0')}:00:00.000Z`,
    ))
      digests.push(sealed(body));
  });
  return digests;
}

describe('audit digests', () => {
  it('hash the canonical JSON of their body fields', () => {
    const [digest] = chain([{ requestId: 'r1', seq: 3, hash: hex('a') }]);
    const { version, sequence, from, to, previousDigestHash, heads } = digest!;
    expect(digest!.digestHash).toBe(
      sha256Hex(canonicalJson({ version, sequence, from, to, previousDigestHash, heads })),
    );
    expect(digest).toMatchObject({
      version: 1,
      sequence: 0,
      from: null,
      to: '2026-01-01T01:00:00.000Z',
      previousDigestHash: GENESIS_HASH,
    });
  });

  it('chain each digest to the one before, listing only the heads that moved, newest per request and sorted', () => {
    const digests = chain(
      [
        { requestId: 'r2', seq: 0, hash: hex('b') },
        { requestId: 'r1', seq: 0, hash: hex('a') },
      ],
      [
        { requestId: 'r1', seq: 0, hash: hex('a') },
        { requestId: 'r1', seq: 2, hash: hex('c') },
        { requestId: 'r1', seq: 1, hash: hex('d') },
      ],
      [],
    );
    expect(digests.map((digest) => digest.heads.map((head) => `${head.requestId}:${head.seq}`))).toEqual([
      ['r1:0', 'r2:0'],
      ['r1:2'],
      [],
    ]);
    expect(digests[1]).toMatchObject({ sequence: 1, from: digests[0]!.to, previousDigestHash: digests[0]!.digestHash });
    expect(verifyDigestChain(digests)).toEqual({ valid: true });
  });

  it('split a checkpoint with many heads into chained digests of the same time range', () => {
    const heads = Array.from({ length: MAX_DIGEST_HEADS + 1 }, (_, index) => ({
      requestId: `r${String(index).padStart(5, '0')}`,
      seq: 0,
      hash: hex('a'),
    }));
    const digests = chain(heads);
    expect(digests.map((digest) => [digest.sequence, digest.heads.length, digest.from, digest.to])).toEqual([
      [0, MAX_DIGEST_HEADS, null, '2026-01-01T01:00:00.000Z'],
      [1, 1, null, '2026-01-01T01:00:00.000Z'],
    ]);
    expect(verifyDigestChain(digests).valid).toBe(true);
  });

  it.each<[string, (digests: AuditDigest[]) => AuditDigest[], number, RegExp]>([
    ['a removed digest', (digests) => [digests[0]!, digests[2]!], 1, /stands where digest 1 belongs/],
    ['a removed first digest', (digests) => digests.slice(1), 0, /stands where digest 0 belongs/],
    [
      'an edited head',
      (digests) =>
        digests.map((digest, index) =>
          index === 1 ? { ...digest, heads: [{ requestId: 'r1', seq: 1, hash: hex('f') }] } : digest,
        ),
      1,
      /hash does not match/,
    ],
    [
      'a digest re-hashed after an edit',
      (digests) => digests.map((digest, index) => (index === 1 ? sealed({ ...digest, heads: [] }) : digest)),
      2,
      /does not chain/,
    ],
  ])('find %s', (_name, tamper, brokenAt, reason) => {
    const digests = chain(
      [{ requestId: 'r1', seq: 0, hash: hex('a') }],
      [{ requestId: 'r1', seq: 1, hash: hex('b') }],
      [{ requestId: 'r1', seq: 2, hash: hex('c') }],
    );
    const result = verifyDigestChain(tamper(digests));
    expect(result).toMatchObject({ valid: false, brokenAt });
    expect(result.reason).toMatch(reason);
  });

  it('parse only what has the exported shape', () => {
    const [digest] = chain([{ requestId: 'r1', seq: 0, hash: hex('a') }]);
    expect(parseDigest(JSON.parse(JSON.stringify(digest)))).toEqual(digest);
    expect(() => parseDigest({ ...digest, heads: [{ requestId: 'r1', seq: 'x', hash: hex('a') }] })).toThrow(/heads/);
    expect(() => parseDigest({ ...digest, digestHash: 'short' })).toThrow(/digestHash/);
    expect(() => parseDigest([])).toThrow(/version/);
  });
});
