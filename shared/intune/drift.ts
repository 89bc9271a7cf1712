import { canonicalJson, sha256Hex } from '../domain/canonicalJson';
import type { AssignmentView, JsonValue, TargetSnapshot } from '../domain/model';

// Pure: what counts as "the target changed since it was approved". Graph offers no ETags for
// Intune objects, so the service keeps its own concurrency token: for a managed device the facts
// that say it is the same device (a renamed, re-enrolled or re-assigned device is another
// decision); for every other object Graph's `lastModifiedDateTime`, its `version` and the set of
// assignments (which an `/assign` call can change without touching the object itself).

/** The facts of a snapshot that decide drift, by name. */
export type DriftFacts = Readonly<Record<string, JsonValue>>;

/** The drift facts of `snapshot` (its `fingerprint` ignored). */
export function driftFacts(snapshot: Omit<TargetSnapshot, 'fingerprint'>): DriftFacts {
  if (snapshot.device) {
    return {
      id: snapshot.id,
      deviceName: snapshot.displayName,
      serialNumber: snapshot.device.serialNumber ?? null,
      userPrincipalName: snapshot.device.userPrincipalName,
      operatingSystem: snapshot.device.operatingSystem,
    };
  }
  return {
    id: snapshot.id,
    lastModifiedDateTime: snapshot.lastModifiedDateTime ?? null,
    version: snapshot.version ?? null,
    assignments: snapshot.assignments === undefined ? null : assignmentSet(snapshot.assignments),
  };
}

/** The hex SHA-256 of the drift facts: equal fingerprints mean "not changed". */
export function fingerprintOf(snapshot: Omit<TargetSnapshot, 'fingerprint'>): string {
  return sha256Hex(canonicalJson(driftFacts(snapshot)));
}

/**
 * What changed between the approved snapshot and a fresh one: the names of the drift facts that
 * differ (empty when nothing did). When the approved snapshot's facts cannot be recomputed to its
 * stored fingerprint (a snapshot from another rule), any difference of fingerprints is reported as
 * `fingerprint`.
 */
export function driftBetween(approved: TargetSnapshot, fresh: TargetSnapshot): string[] {
  const before = driftFacts(approved);
  const after = driftFacts(fresh);
  if (sha256Hex(canonicalJson(before)) !== approved.fingerprint) {
    return approved.fingerprint === fresh.fingerprint ? [] : ['fingerprint'];
  }
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => canonicalJson(before[name] ?? null) !== canonicalJson(after[name] ?? null));
}

/** Assignments as an order-free set: one sorted key per assignment (target, group, intent). */
export function assignmentSet(assignments: readonly AssignmentView[]): string[] {
  return assignments.map((a) => [a.target, a.groupId ?? '', a.intent ?? ''].join('|')).sort();
}
