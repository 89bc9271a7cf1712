import {
  GENESIS_HASH,
  auditRecordId,
  chainEvents,
  chainRecord,
  chainStartAfter,
  verifyChain,
} from '../../../shared/domain/auditChain';
import { sha256Hex, canonicalJson } from '../../../shared/domain/canonicalJson';
import type { AuditEntry, AuditRecord } from '../../../shared/domain/model';
import { T0, after, alice, bob } from '../../support/builders';

function entries(requestId = 'req-1'): AuditEntry[] {
  return [
    { requestId, seq: 0, type: 'request.submitted', at: T0, actor: alice, data: { operationHash: 'ab'.repeat(32) } },
    { requestId, seq: 1, type: 'request.approved', at: after(1), actor: bob, data: { notes: '', approvals: 1 } },
    {
      requestId,
      seq: 2,
      type: 'request.statusChanged',
      at: after(1),
      actor: bob,
      data: { from: 'needsApproval', to: 'approved' },
    },
    { requestId, seq: 3, type: 'request.completed', at: after(2), actor: alice, data: {} },
    { requestId, seq: 4, type: 'execution.succeeded', at: after(3), actor: null, data: { detail: 'ok' } },
  ];
}

function chain(list: AuditEntry[] = entries(), prevHash = GENESIS_HASH): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const entry of list) records.push(chainRecord(entry, records.at(-1)?.hash ?? prevHash));
  return records;
}

describe('chainRecord', () => {
  it('links a record to its predecessor with a deterministic id and hash', () => {
    const [first, second] = chain();
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(first).toMatchObject({ id: 'req-1:000000', prevHash: GENESIS_HASH, seq: 0 });
    expect(second).toMatchObject({ id: 'req-1:000001', prevHash: first?.hash });
    const { requestId, seq, type, at, actor, data } = entries()[1]!;
    expect(second?.hash).toBe(
      sha256Hex(canonicalJson({ requestId, seq, type, at, actor, data, prevHash: first?.hash })),
    );
    expect(chainRecord(entries()[1]!, first!.hash)).toEqual(second);
  });

  it.each([
    [0, 'r:000000'],
    [42, 'r:000042'],
    [999_999, 'r:999999'],
  ])('names seq %i as %s', (seq, id) => {
    expect(auditRecordId('r', seq)).toBe(id);
  });

  it.each([-1, 1.5, 1_000_000, Number.NaN])('refuses seq %p', (seq) => {
    expect(() => auditRecordId('r', seq)).toThrow(RangeError);
  });

  it.each(['', 'abc', 'F'.repeat(64), '0'.repeat(63)])('refuses prevHash %p', (prevHash) => {
    expect(() => chainRecord(entries()[0]!, prevHash)).toThrow(RangeError);
  });

  it('does not share data with the entry', () => {
    const entry = entries()[1]!;
    const record = chainRecord(entry, GENESIS_HASH);
    entry.data.notes = 'changed later';
    expect(record.data.notes).toBe('');
  });
});

describe('verifyChain', () => {
  it('accepts an intact trail and an empty one', () => {
    expect(verifyChain(chain())).toEqual({ valid: true });
    expect(verifyChain([])).toEqual({ valid: true });
  });

  const edits: [string, (records: AuditRecord[]) => AuditRecord[], number, RegExp][] = [
    [
      'data modified',
      (r) => r.map((x, i) => (i === 1 ? { ...x, data: { ...x.data, notes: 'edited' } } : x)),
      1,
      /hash/,
    ],
    ['actor modified', (r) => r.map((x, i) => (i === 3 ? { ...x, actor: bob } : x)), 3, /hash/],
    ['actor removed', (r) => r.map((x, i) => (i === 1 ? { ...x, actor: null } : x)), 1, /hash/],
    ['timestamp modified', (r) => r.map((x, i) => (i === 2 ? { ...x, at: after(9) } : x)), 2, /hash/],
    ['type modified', (r) => r.map((x, i) => (i === 4 ? { ...x, type: 'execution.failed' as const } : x)), 4, /hash/],
    ['hash replaced', (r) => r.map((x, i) => (i === 2 ? { ...x, hash: 'f'.repeat(64) } : x)), 2, /hash/],
    [
      'record and hash rewritten (the next record no longer links)',
      (r) => r.map((x, i) => (i === 1 ? chainRecord({ ...x, data: { notes: 'forged' } }, x.prevHash) : x)),
      2,
      /prevHash/,
    ],
    ['first prevHash not genesis', (r) => [chainRecord(entries()[0]!, 'a'.repeat(64)), ...r.slice(1)], 0, /prevHash/],
    ['middle record dropped', (r) => [...r.slice(0, 2), ...r.slice(3)], 2, /seq/],
    ['first record dropped', (r) => r.slice(1), 0, /seq/],
    ['two records swapped', (r) => [r[0]!, r[2]!, r[1]!, ...r.slice(3)], 1, /seq/],
    ['a record duplicated', (r) => [r[0]!, r[1]!, r[1]!, ...r.slice(2)], 2, /seq/],
    ['an id altered', (r) => r.map((x, i) => (i === 3 ? { ...x, id: 'req-1:3' } : x)), 3, /id/],
    [
      'a record of another request',
      (r) => [...r.slice(0, 2), chain(entries('req-2'))[2]!, ...r.slice(3)],
      2,
      /request/,
    ],
    [
      'seq renumbered after a drop',
      (r) => [...r.slice(0, 2), { ...r[3]!, seq: 2, id: 'req-1:000002' }],
      2,
      /hash|prevHash/,
    ],
    ['data made non-JSON', (r) => r.map((x, i) => (i === 0 ? { ...x, data: { n: Number.NaN } } : x)), 0, /canonical/],
  ];

  it.each(edits)('detects %s at index %i', (_, edit, brokenAt, reason) => {
    const result = verifyChain(edit(chain()));
    expect(result).toMatchObject({ valid: false, brokenAt });
    expect(result.reason).toMatch(reason);
  });

  it('verifies a page that starts mid-trail against the record before it', () => {
    const records = chain();
    expect(verifyChain(records.slice(2), { seq: 2, prevHash: records[1]!.hash })).toEqual({ valid: true });
    expect(verifyChain(records.slice(2), { seq: 2, prevHash: records[0]!.hash })).toMatchObject({
      valid: false,
      brokenAt: 0,
    });
    expect(verifyChain(records.slice(2))).toMatchObject({ valid: false, brokenAt: 0 });
  });

  it('cannot see a trail cut short at its end (compare the last hash with a trusted one for that)', () => {
    expect(verifyChain(chain().slice(0, 3))).toEqual({ valid: true });
  });
});

describe('chainEvents', () => {
  const events = entries().map(({ seq: _seq, ...event }) => event);

  it('chains a whole trail from its start as record-by-record chaining does, and says where it continues', () => {
    const { records, next } = chainEvents(events, chainStartAfter(undefined));
    expect(records).toStrictEqual(chain());
    expect(verifyChain(records)).toStrictEqual({ valid: true });
    expect(next).toStrictEqual({ seq: 5, prevHash: records[4]!.hash });
  });

  it.each([1, 2, 4])('continues a trail after its first %i records, as one chain', (split) => {
    const first = chainEvents(events.slice(0, split), { seq: 0, prevHash: GENESIS_HASH });
    const rest = chainEvents(events.slice(split), first.next);
    expect([...first.records, ...rest.records]).toStrictEqual(chain());
  });

  it('continues after a stored last record, and leaves the start as it is for no events', () => {
    const last = chain()[2]!;
    const start = chainStartAfter(last);
    expect(start).toStrictEqual({ seq: 3, prevHash: last.hash });
    expect(chainEvents(events.slice(3), start).records).toStrictEqual(chain().slice(3));
    expect(chainEvents([], start)).toStrictEqual({ records: [], next: start });
  });

  it('throws as chainRecord does for a start that is no hash', () => {
    expect(() => chainEvents(events, { seq: 0, prevHash: 'x' })).toThrow(RangeError);
  });
});
