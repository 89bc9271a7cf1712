import { chainRecord, GENESIS_HASH } from '../../../shared/domain/auditChain';
import type { AuditRecord, TrailHead } from '../../../shared/domain/model';
import { verifyTrail, type TrailProblemCode } from '../../../shared/domain/trailVerification';
import { T0 } from '../../support/builders';

function trail(length: number, requestId = 'req-1'): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let seq = 0; seq < length; seq++) {
    records.push(
      chainRecord(
        { requestId, seq, type: 'request.statusChanged', at: T0, actor: null, data: { step: seq } },
        records.at(-1)?.hash ?? GENESIS_HASH,
      ),
    );
  }
  return records;
}

const headOf = (records: AuditRecord[], seq = records.length - 1): TrailHead => ({ seq, hash: records[seq]!.hash });
const codes = (verdict: ReturnType<typeof verifyTrail>): TrailProblemCode[] =>
  verdict.problems.map((problem) => problem.code);

describe('verifyTrail', () => {
  const whole = trail(5);
  const other = trail(5, 'req-2');

  it.each<[string, Parameters<typeof verifyTrail>[0], TrailProblemCode[]]>([
    ['a whole trail that ends at its head', { request: { trail: headOf(whole) }, records: whole }, []],
    ['a request that recorded nothing yet', { request: {}, records: [] }, []],
    [
      'a trail that extends its head (the read model write lagged)',
      { request: { trail: headOf(whole, 3) }, records: whole },
      [],
    ],
    [
      'a trail whose tail was deleted',
      { request: { trail: headOf(whole) }, records: whole.slice(0, 3) },
      ['shortened'],
    ],
    ['a trail deleted as a whole', { request: { trail: headOf(whole) }, records: [] }, ['deleted']],
    [
      'a trail whose record at the head was replaced',
      { request: { trail: { seq: 4, hash: 'f'.repeat(64) } }, records: whole },
      ['rewritten'],
    ],
    [
      'a trail re-chained under another head',
      { request: { trail: headOf(whole) }, records: other.map((record) => ({ ...record, requestId: 'req-1' })) },
      ['broken', 'rewritten'],
    ],
    [
      'an edited record',
      {
        request: { trail: headOf(whole) },
        records: whole.map((record, index) => (index === 2 ? { ...record, data: { step: 42 } } : record)),
      },
      ['broken'],
    ],
    ['a request with records but no head', { request: {}, records: whole }, ['no_head']],
    ['a trail without its request', { request: undefined, records: whole }, ['orphaned']],
    [
      'a trail without its request when closed requests are forgotten',
      { request: undefined, records: whole, orphansExpected: true },
      [],
    ],
    [
      'a trail that still holds the digest heads',
      { request: { trail: headOf(whole) }, records: whole, expected: [headOf(whole, 1), headOf(whole, 4)] },
      [],
    ],
    [
      'a trail that no longer holds a digest head',
      { request: { trail: headOf(whole, 2) }, records: whole.slice(0, 3), expected: [headOf(whole, 4)] },
      ['digest_mismatch'],
    ],
    [
      'a trail whose record differs from the digest',
      { request: { trail: headOf(whole) }, records: whole, expected: [{ seq: 1, hash: 'e'.repeat(64) }] },
      ['digest_mismatch'],
    ],
  ])('%s', (_name, check, expected) => {
    const verdict = verifyTrail(check);
    expect(codes(verdict)).toEqual(expected);
    expect(verdict.valid).toBe(expected.length === 0);
  });

  it('says why, naming the positions', () => {
    expect(verifyTrail({ request: { trail: headOf(whole) }, records: whole.slice(0, 3) }).problems[0]?.message).toBe(
      "trail shortened: it ends at record 2, but the request's head is record 4",
    );
    expect(verifyTrail({ request: { trail: headOf(whole) }, records: [] }).problems[0]?.message).toMatch(
      /^trail deleted: the request's head is record 4/,
    );
    expect(verifyTrail({ request: { trail: headOf(whole, 3) }, records: whole }).notes).toEqual([
      expect.stringMatching(/^1 records after the request's head/),
    ]);
    expect(verifyTrail({ request: { trail: headOf(whole) }, records: whole }).last).toEqual(headOf(whole));
  });
});
