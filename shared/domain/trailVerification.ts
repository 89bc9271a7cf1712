import { verifyChain } from './auditChain';
import type { AuditRecord, TrailHead } from './model';

/**
 * What is wrong with a trail: `broken` (a record was edited, inserted, removed or reordered inside
 * the trail), `shortened` (it ends before the head its request keeps), `deleted` (the request keeps
 * a head but the trail is gone), `rewritten` (the record at the head's position is not the one the
 * head names), `orphaned` (a trail whose request is gone), `no_head` (a request with records but
 * no head) and `digest_mismatch` (the trail no longer holds a head an exported digest lists).
 */
export type TrailProblemCode =
  'broken' | 'shortened' | 'deleted' | 'rewritten' | 'orphaned' | 'no_head' | 'digest_mismatch';

export interface TrailProblem {
  code: TrailProblemCode;
  message: string;
  /** For `broken`: the index of the first bad record and what is wrong with it. */
  brokenAt?: { index: number; reason: string };
}

/** What {@link verifyTrail} checks one trail against. */
export interface TrailCheck {
  /** The request's read model, or undefined when the store has none (an orphaned trail). */
  request: { trail?: TrailHead } | undefined;
  /** The whole trail as the store holds it, in `seq` order. */
  records: readonly AuditRecord[];
  /** Heads of this trail that a trusted digest lists; each must still be in the trail. */
  expected?: readonly TrailHead[];
  /**
   * Whether the store forgets closed requests after a retention period, so a trail without its
   * request is expected: it is then noted, not a problem.
   */
  orphansExpected?: boolean;
}

/** The outcome of {@link verifyTrail}: valid when there are no problems; notes are facts worth saying that are not problems. */
export interface TrailVerdict {
  valid: boolean;
  problems: TrailProblem[];
  notes: string[];
  /** The trail's last record, when it has one. */
  last?: TrailHead;
}

/**
 * Checks one request's trail: its hash chain (see {@link verifyChain}), then against the head its
 * request keeps, then against the heads a trusted digest lists.
 *
 * The head rule: the head is a lower bound the trail must reach and agree with. The record at
 * `head.seq` must exist and have `head.hash`; records after it are a valid extension (the Cosmos DB
 * store writes a step's records before its read model, so a crash between the two leaves the head
 * one step behind until the retried step catches up) and are noted, not reported. A trail that
 * ends before the head is `shortened`, a missing trail `deleted`, another record at the head's
 * position `rewritten`. A request with records but no head is `no_head` (every step writes the
 * head); a request with neither has recorded nothing yet and is valid here.
 */
export function verifyTrail(check: TrailCheck): TrailVerdict {
  const { records, request } = check;
  const problems: TrailProblem[] = [];
  const notes: string[] = [];
  const last = records.at(-1);
  const chain = verifyChain(records);
  if (!chain.valid) {
    problems.push({
      code: 'broken',
      message: `BROKEN at record ${chain.brokenAt}: ${chain.reason}`,
      brokenAt: { index: chain.brokenAt!, reason: chain.reason! },
    });
  }
  const bySeq = new Map(records.map((record) => [record.seq, record]));

  if (request === undefined) {
    if (records.length > 0) {
      const message = 'orphaned trail: the store holds no request for it';
      if (check.orphansExpected) notes.push(`${message} (closed requests are forgotten after their retention period)`);
      else problems.push({ code: 'orphaned', message });
    }
  } else if (request.trail === undefined) {
    if (records.length > 0)
      problems.push({
        code: 'no_head',
        message: `the request keeps no trail head, but ${records.length} records exist`,
      });
  } else {
    const head = request.trail;
    const atHead = bySeq.get(head.seq);
    if (last === undefined) {
      problems.push({
        code: 'deleted',
        message: `trail deleted: the request's head is record ${head.seq}, but the store holds no records`,
      });
    } else if (last.seq < head.seq) {
      problems.push({
        code: 'shortened',
        message: `trail shortened: it ends at record ${last.seq}, but the request's head is record ${head.seq}`,
      });
    } else if (atHead?.hash !== head.hash) {
      problems.push({
        code: 'rewritten',
        message: `trail rewritten: record ${head.seq} is not the one the request's head names (hash ${head.hash.slice(0, 12)})`,
      });
    } else if (last.seq > head.seq) {
      notes.push(
        `${last.seq - head.seq} records after the request's head (record ${head.seq}): a step whose read model write has not caught up`,
      );
    }
  }

  for (const expected of check.expected ?? []) {
    const record = bySeq.get(expected.seq);
    if (record === undefined) {
      problems.push({
        code: 'digest_mismatch',
        message: `record ${expected.seq}, a head the digest lists, is missing`,
      });
    } else if (record.hash !== expected.hash) {
      problems.push({
        code: 'digest_mismatch',
        message: `record ${expected.seq} is not the one the digest lists (hash ${expected.hash.slice(0, 12)})`,
      });
    }
  }

  return {
    valid: problems.length === 0,
    problems,
    notes,
    ...(last === undefined ? {} : { last: { seq: last.seq, hash: last.hash } }),
  };
}
