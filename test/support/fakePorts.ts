import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApprovalOrchestrationInput } from '../../orchestrations/contracts';
import { chainRecord, GENESIS_HASH } from '../../shared/domain/auditChain';
import { applyCommand, submittedEvent, type Command, type DomainEvent } from '../../shared/domain/lifecycle';
import type { AuthenticatedPrincipal } from '../../shared/identity/principal';
import { parseKeySetting } from '../../shared/keys/appKey';
import { SqliteStore } from '../../shared/store/sqliteStore';
import type { Store } from '../../shared/store/store';
import type { ActorCommand } from '../../shared/domain/commands';
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

  async raise(requestId: string, command: ActorCommand): Promise<void> {
    this.raised.push({ requestId, command });
  }
}

type UseCaseDirectory = UseCaseDeps['directory'];

/** A directory of groups (id -> member ids); `existingGroups` knows exactly those groups. */
export class FakeDirectory implements UseCaseDirectory {
  readonly calls: string[] = [];

  constructor(private readonly groups: Record<string, readonly string[]>) {}

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

/** The use cases' dependencies over `store` and `directory`, a recording orchestrations port, a fixed clock and counted ids. */
export function useCaseDeps(
  store: UseCaseDeps['store'],
  directory: UseCaseDeps['directory'],
  overrides: Partial<UseCaseDeps> = {},
): UseCaseDeps & { orchestrations: RecordingOrchestrations } {
  let ids = 0;
  return {
    store,
    directory,
    orchestrations: new RecordingOrchestrations(),
    now: () => new Date('2026-03-01T10:00:00.000Z'),
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    appKeys: { current: parseKeySetting(`unit-1:${Buffer.alloc(32, 7).toString('base64')}`) },
    reminderBeforeMs: 86_400_000,
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
