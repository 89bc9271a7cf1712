import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApprovalOrchestrationInput } from '../../orchestrations/contracts';
import { chainRecord, GENESIS_HASH } from '../../shared/domain/auditChain';
import { applyCommand, submittedEvent, type Command, type DomainEvent } from '../../shared/domain/lifecycle';
import type { AuthenticatedPrincipal } from '../../shared/identity/principal';
import type { ApproverCandidate } from '../../shared/identity/directory';
import { parseKeySetting } from '../../shared/keys/appKey';
import { SqliteStore } from '../../shared/store/sqliteStore';
import type { Store } from '../../shared/store/store';
import type { ActorCommand } from '../../shared/domain/commands';
import { DomainError } from '../../shared/domain/errors';
import type { ApprovalRequest, Operation, ProfileType, TargetSnapshot } from '../../shared/domain/model';
import type { ExecutionOutcome, Executor } from '../../shared/execute/executor';
import { findEntry } from '../../shared/intune/catalogue';
import type { TargetReader } from '../../shared/intune/targets';
import type { Orchestrations, UseCaseDeps } from '../../shared/useCases/deps';

/** Every start and command the use cases sent, in order; `failStarts` makes starts throw (the Durable client unavailable). */
export class RecordingOrchestrations implements Orchestrations {
  readonly started: { requestId: string; input: ApprovalOrchestrationInput }[] = [];
  readonly raised: { requestId: string; command: ActorCommand }[] = [];
  failStarts = false;

  async start(requestId: string, input: unknown): Promise<void> {
    if (this.failStarts) throw new Error('the orchestration could not be started');
    this.started.push({ requestId, input: input as ApprovalOrchestrationInput });
  }

  async raise(requestId: string, command: ActorCommand): Promise<{ nonce: string }> {
    this.raised.push({ requestId, command });
    return { nonce: `nonce-${this.raised.length}` };
  }

  async assertRunning(): Promise<void> {}
}

type UseCaseDirectory = UseCaseDeps['directory'];

/**
 * A directory of groups (id -> member ids); `existingGroups` knows exactly those groups. App roles
 * are `roles[user]` when given, else `MAA.Approver` alone; a user's display name is their id.
 */
export class FakeDirectory implements UseCaseDirectory {
  readonly calls: string[] = [];

  constructor(
    private readonly groups: Record<string, readonly string[]>,
    readonly roles: Record<string, readonly string[]> = {},
  ) {}

  async approverCandidates(groupIds: readonly string[]): Promise<ApproverCandidate[]> {
    this.calls.push(`approverCandidates ${groupIds.join(',')}`);
    const ids = [...new Set(groupIds.flatMap((group) => this.groups[group] ?? []))];
    return ids.map((id) => ({ id, displayName: id, roles: [...(this.roles[id] ?? ['MAA.Approver'])] }));
  }

  async memberGroupsOf(userId: string, candidateGroupIds: readonly string[]): Promise<string[]> {
    this.calls.push(`memberGroupsOf ${userId}`);
    return candidateGroupIds.filter((group) => this.groups[group]?.includes(userId));
  }

  async allGroupsOf(userId: string): Promise<string[]> {
    this.calls.push(`allGroupsOf ${userId}`);
    return Object.keys(this.groups).filter((group) => this.groups[group]!.includes(userId));
  }

  async existingGroups(groupIds: readonly string[]): Promise<string[]> {
    return groupIds.filter((group) => group in this.groups);
  }
}

/**
 * An in-memory Intune tenant behind the {@link TargetReader} port: it knows the objects `add`ed
 * and, while `everyDevice` is set, every managed device a test names (a device snapshot made up
 * from its id) unless it was `remove`d. `down` makes every read fail as Graph being unreachable
 * does. Operations that create something (no `resourceId` in the catalogue) have no target.
 */
export class InMemoryTargets implements TargetReader {
  readonly reads: { profileType: ProfileType; operation: Operation }[] = [];
  down = false;
  private readonly objects = new Map<string, TargetSnapshot>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly now: () => Date,
    private readonly everyDevice = true,
  ) {}

  /** Group names `groupNames` answers (id → name). */
  readonly groups = new Map<string, string>();
  /** Milliseconds every read waits before it answers (a slow Graph). */
  delayMs = 0;

  add(snapshot: TargetSnapshot): void {
    this.objects.set(`${snapshot.resourceType}/${snapshot.id}`, snapshot);
    this.removed.delete(`${snapshot.resourceType}/${snapshot.id}`);
  }

  remove(resourceType: string, id: string): void {
    this.objects.delete(`${resourceType}/${id}`);
    this.removed.add(`${resourceType}/${id}`);
  }

  async read(profileType: ProfileType, operation: Operation): Promise<TargetSnapshot | undefined> {
    this.reads.push({ profileType, operation: structuredClone(operation) });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (findEntry(profileType, operation.resourceType, operation.action)?.resourceId !== 'required') return undefined;
    if (this.down) throw new DomainError('graph_unavailable', 'Microsoft Graph did not answer');
    const key = `${operation.resourceType}/${operation.resourceId ?? ''}`;
    const known = this.objects.get(key);
    if (known) return structuredClone(known);
    if (this.everyDevice && operation.resourceType === 'managedDevice' && !this.removed.has(key))
      return deviceSnapshot(operation.resourceId!, this.now().toISOString());
    throw new DomainError('target_not_found', `Intune has no ${operation.resourceType} '${operation.resourceId}'`);
  }

  async groupNames(groupIds: readonly string[]): Promise<Record<string, string>> {
    if (this.down) return {};
    return Object.fromEntries(groupIds.flatMap((id) => (this.groups.has(id) ? [[id, this.groups.get(id)!]] : [])));
  }
}

/** A company-owned Windows laptop of alice's, as the reader would snapshot device `id` at `readAt`. */
export function deviceSnapshot(id: string, readAt: string): TargetSnapshot {
  return {
    resourceType: 'managedDevice',
    id,
    displayName: `LT-${id.toUpperCase()}`,
    readAt,
    device: {
      operatingSystem: 'Windows',
      osVersion: '10.0.22631.4602',
      userPrincipalName: 'alice@maa.test',
      userDisplayName: 'Alice',
      ownership: 'company',
      complianceState: 'compliant',
      lastSyncDateTime: '2026-03-01T09:00:00.000Z',
      managementState: 'managed',
    },
    fingerprint: 'f'.repeat(64),
  };
}

/** A signed-in caller with `roles`. */
export function caller(id: string, roles: string[], displayName = id): AuthenticatedPrincipal {
  return { id, displayName, tenantId: 'tenant-1', roles } as AuthenticatedPrincipal;
}

/** A fresh SQLite store in its own temporary directory; `dispose` closes and removes it. */
export function tempSqliteStore(): { store: SqliteStore; dispose: () => Promise<void> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'maa-unit-store-'));
  const store = new SqliteStore(path.join(dir, 'store.db'));
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The use cases' dependencies over `store` and `directory`, a recording orchestrations port, a fixed clock, counted ids and an {@link InMemoryTargets} tenant where every device exists. */
export function useCaseDeps(
  store: UseCaseDeps['store'],
  directory: UseCaseDeps['directory'],
  overrides: Partial<UseCaseDeps> = {},
): UseCaseDeps & { orchestrations: RecordingOrchestrations } {
  let ids = 0;
  const now = () => new Date('2026-03-01T10:00:00.000Z');
  return {
    store,
    directory,
    orchestrations: new RecordingOrchestrations(),
    now,
    targets: new InMemoryTargets(now),
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    appKeys: { current: parseKeySetting(`unit-1:${Buffer.alloc(32, 7).toString('base64')}`) },
    reminderBeforeMs: 86_400_000,
    // As composition decides with no webhook and nothing release-only: policy changes, else Graph.
    executorKindOf: (profileType: string) => (profileType === 'operationApprovalPolicy' ? 'policy' : 'graph'),
    ...overrides,
  } as UseCaseDeps & { orchestrations: RecordingOrchestrations };
}

/** The code of what `promise` rejects with (the use cases' errors carry a stable `code`, whatever their class). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal, but it resolved');
    },
    (reason: unknown) => reason,
  );
  return (error as { code: string }).code;
}

/**
 * Records in `store` what request `id`'s orchestration would on its first step: its submission,
 * then `command` applied through the lifecycle rules (or, for a refusal, only `extra` events).
 */
export async function orchestrationApplies(
  store: Store,
  id: string,
  command: Command | undefined,
  extra: DomainEvent[] = [],
): Promise<void> {
  const stored = (await store.getRequest(id))!;
  const result = command ? applyCommand(stored.value, command) : { request: stored.value, events: [] };
  let prevHash = GENESIS_HASH;
  const records = [submittedEvent(stored.value), ...result.events, ...extra].map((event, seq) => {
    const record = chainRecord({ ...event, seq }, prevHash);
    prevHash = record.hash;
    return record;
  });
  await store.recordStep({ records, request: { value: result.request, etag: stored.etag } });
}

/** An executor that answers the next of `outcomes` (the last one again once they ran out) and keeps what it ran. */
export function scriptedExecutor(...outcomes: ExecutionOutcome[]): Executor & { runs: ApprovalRequest[] } {
  const runs: ApprovalRequest[] = [];
  return {
    kind: 'test',
    runs,
    async execute(request) {
      runs.push(request);
      return outcomes[Math.min(runs.length, outcomes.length) - 1]!;
    },
  };
}
