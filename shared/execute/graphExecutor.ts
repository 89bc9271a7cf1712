import { canonicalJson } from '../domain/canonicalJson';
import type { ApprovalRequest, DeviceExecution, DeviceOutcome, JsonValue } from '../domain/model';
import { findEntry } from '../intune/catalogue';
import type { CatalogueEntry, CatalogueOperation, DeviceAction, GraphCall } from '../intune/catalogue/types';
import { assignmentSet, driftBetween } from '../intune/drift';
import {
  clientRequestIdFor,
  GraphSession,
  GraphTokenError,
  type IntuneGraphClient,
  type IntuneGraphResponse,
} from '../intune/graphClient';
import { assignmentView, GraphTargetReader, objectPath, RESOURCE_SPECS, type TargetRead } from '../intune/targetReader';
import type { AppKeyRing } from '../keys/appKey';
import { isSealedSecret, openSecret } from '../keys/secretSeal';
import type { ExecutionOutcome, Executor, Observation } from './executor';

/** How the Graph executor paces itself and what it refuses; see docs/intune.md. */
export interface GraphExecutorSettings {
  /** The tenant's daily caps per device action (UTC day), counted from Intune's remote action audits. */
  readonly dailyCaps: Readonly<Record<DeviceAction, number>>;
  /** How often an accepted device action is observed on the device (ms). */
  readonly followUpEveryMs: number;
  /** How long it is observed before the outcome is recorded as it stands (ms). */
  readonly followUpForMs: number;
  /** The longest `Retry-After` (or backoff) waited inside one execution; a longer one fails retryably. */
  readonly maxRetryAfterMs: number;
  /** Attempts per write inside one execution (throttling and server faults). Default 4. */
  readonly maxAttempts?: number;
}

/** What the Graph executor is built from. */
export interface GraphExecutorDeps {
  readonly client: IntuneGraphClient;
  /** Opens the operation's sealed secrets. */
  readonly appKeys: AppKeyRing;
  readonly now: () => Date;
  readonly settings: GraphExecutorSettings;
  /** How waiting is done (the timer by default). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The catalogue the executor performs (`findEntry` of the operation catalogue by default). */
  readonly findEntry?: typeof findEntry;
}

/** The Intune remote action audit name of each capped device action. */
const AUDIT_ACTION: Readonly<Record<DeviceAction, string>> = {
  wipe: 'factoryReset',
  retire: 'removeCompanyData',
  delete: 'delete',
};

// The largest page Intune serves: a day's audits of one action are at most a few pages.
const AUDIT_PAGE = 1000;

const MARKER = (requestId: string) => `[maa:${requestId}]`;
const DETAIL_LIMIT = 512;

type Facts = Pick<ExecutionOutcome, 'code' | 'followUp'>;

/**
 * A bulk action's share of the tenant's daily cap: today's audited actions, read once, then each
 * device's send counted; with the devices Intune audited this action for since the request's
 * completion (lower-case ids). `undefined` until the first device needs it; `refused` when the
 * audits could not be read (for good: not read again for each device).
 */
interface CapBudget {
  remaining?: number;
  audited?: ReadonlySet<string>;
  refused?: Result;
}
/** An outcome before its Graph calls are added. */
type Result =
  | Omit<Extract<ExecutionOutcome, { status: 'succeeded' }>, 'graph'>
  | Omit<Extract<ExecutionOutcome, { status: 'failed' }>, 'graph'>;

/** A write's fate inside one execution. */
type WriteResult =
  | { kind: 'sent'; response: IntuneGraphResponse }
  | { kind: 'applied'; detail: string }
  | { kind: 'failed'; outcome: Omit<Extract<ExecutionOutcome, { status: 'failed' }>, 'graph'> };

/**
 * Performs a completed request's catalogue operation in Intune through Microsoft Graph with the
 * app's own identity. What holds (docs/intune.md says why):
 * - the writes are derived only from the stored operation (`CatalogueEntry.calls`), every call
 *   carrying the request's deterministic `client-request-id`, and all recorded in `graph.calls`;
 * - the target is read again first: drift from the approved snapshot (or a vanished object) is
 *   `target_changed` with nothing written, unless the approved effect is already there (an earlier
 *   attempt of this request), which is `already_applied`;
 * - a write is never applied twice: creates look for the request's description marker first,
 *   device actions and single assignments look at the state first, and after a 5xx or a lost
 *   answer only `idempotent` writes are sent again without reading the state;
 * - 429 waits `Retry-After` (a backoff without one) up to a bound, then fails retryably;
 * - the daily device-action caps are counted before any write (`daily_cap_reached`);
 * - 403 is `graph_forbidden` naming the permission, Intune's own approval interception is
 *   `native_approval_required`, other refusals `graph_rejected` with Graph's code and message;
 * - a write is verified with a read; an accepted device action carries a `followUp`.
 */
export class GraphExecutor implements Executor {
  readonly kind = 'graph';
  private readonly reader: GraphTargetReader;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly entryOf: typeof findEntry;

  constructor(private readonly deps: GraphExecutorDeps) {
    this.entryOf = deps.findEntry ?? findEntry;
    this.reader = new GraphTargetReader(deps.client, deps.now, this.entryOf);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async execute(request: ApprovalRequest): Promise<ExecutionOutcome> {
    const session = this.session(request);
    const graph = () => ({ clientRequestId: session.clientRequestId, calls: [...session.calls] });
    const entry = this.entryOf(request.profileType, request.operation.resourceType, request.operation.action);
    if (!entry) {
      return {
        status: 'failed',
        retryable: false,
        code: 'unsupported_operation',
        detail: `the catalogue has no ${request.operation.resourceType} ${request.operation.action} for ${request.profileType}`,
        graph: graph(),
      };
    }
    if (request.operation.resourceIds !== undefined) return this.executeBulk(request, entry);
    try {
      const outcome = await this.run(request, entry, session);
      return { ...outcome, graph: graph() };
    } catch (error) {
      if (!(error instanceof GraphTokenError)) throw error;
      return { status: 'failed', retryable: true, code: 'graph_unavailable', detail: error.message, graph: graph() };
    }
  }

  /**
   * A bulk device action, device by device in `resourceIds` order, each as a single device action
   * of its own (its snapshot in `targets`, its own `client-request-id` derived from the request id
   * and the device id): already audited for this request (`already_applied`, see
   * {@link auditedSince}), drift (`target_changed`), already under way (`already_applied`), the
   * daily cap (a bulk of N counts N: devices past it get `daily_cap_reached` and nothing is sent),
   * send, verify. A device that fails or drifted does not stop the others. A device whose failure
   * is retryable (Graph unavailable or throttled past the bound, after the client's own retries)
   * stops the run: Graph is unwell, so nothing more is sent, that device fails with its code and
   * the devices not reached fail `not attempted`. The answer is never retryable: it carries every
   * device's outcome, every Graph call and, when any device was accepted, the `followUp`, so the
   * orchestration records it and observes the accepted devices; an operator's re-drive runs the
   * bulk again (the devices already done are then `already_applied`). Only a token failure before
   * any write was sent throws (the activity is then retried whole, nothing having been sent).
   */
  private async executeBulk(request: ApprovalRequest, entry: CatalogueEntry): Promise<ExecutionOutcome> {
    const ids = request.operation.resourceIds ?? [];
    const sessions: GraphSession[] = [];
    const graph = () => ({
      clientRequestId: clientRequestIdFor(request.id),
      calls: sessions.flatMap((session) => session.calls),
    });
    if (!entry.bulk || !entry.deviceAction)
      return {
        status: 'failed',
        retryable: false,
        code: 'unsupported_operation',
        detail: `${request.operation.resourceType} ${request.operation.action} acts on one object, not on ${ids.length}`,
        graph: graph(),
      };
    const budget: CapBudget = {};
    const devices: DeviceExecution[] = [];
    let followUp: Facts['followUp'];
    let stopped: Result | undefined;
    for (const [index, resourceId] of ids.entries()) {
      const displayName = request.targets?.[index]?.displayName;
      const named = displayName === undefined ? {} : { displayName };
      if (stopped) {
        devices.push({
          resourceId,
          ...named,
          status: 'failed',
          code: stopped.code,
          detail: `not attempted: ${stopped.detail}`,
        });
        continue;
      }
      const session = this.session(request, resourceId);
      sessions.push(session);
      let outcome: Result;
      try {
        outcome = await this.run(deviceRequest(request, index), entry, session, budget);
      } catch (error) {
        if (!(error instanceof GraphTokenError)) throw error;
        // Nothing sent yet: the activity's retry runs the bulk again with nothing to tell apart.
        if (!sessions.some((one) => one.calls.some((call) => call.method !== 'GET'))) throw error;
        outcome = unavailable(error.message);
      }
      devices.push({
        resourceId,
        ...named,
        status: outcome.status,
        ...(outcome.code === undefined ? {} : { code: outcome.code }),
        detail: outcome.detail,
        clientRequestId: session.clientRequestId,
      });
      if (outcome.status === 'succeeded' && outcome.followUp) followUp = outcome.followUp;
      if (outcome.status === 'failed' && outcome.retryable) stopped = outcome;
    }
    const summary = bulkSummary(entry.deviceAction, devices);
    const facts = { devices, graph: graph(), ...(followUp === undefined ? {} : { followUp }) };
    if (summary.status === 'succeeded') return { ...summary, ...facts };
    const stop =
      stopped === undefined
        ? ''
        : `; stopped at a device that failed ${stopped.code} (Graph is unwell), the devices after it were not attempted: a re-drive runs the bulk again, the devices already done answering already_applied`;
    return { ...summary, retryable: false, detail: `${summary.detail}${stop}`, ...facts };
  }

  /**
   * What the devices did with an accepted device action, read now; a single device action throws
   * when Graph cannot be read. A bulk action observes each device its execution accepted (in
   * order; a device whose read fails is `unknown` with the reason and the others are still read;
   * it throws only when no device could be read) and answers their summary: `pending` while any
   * is, else their common state, else `done` when each is done or gone, else `failed` when any
   * failed, else `unknown`.
   */
  async observe(request: ApprovalRequest): Promise<Observation> {
    if (request.operation.resourceIds === undefined) return this.observeOne(request);
    const at = this.deps.now().toISOString();
    const accepted = (request.execution?.devices ?? []).filter((device) => device.status === 'succeeded');
    const devices: { resourceId: string; outcome: DeviceOutcome }[] = [];
    const errors: unknown[] = [];
    for (const device of accepted) {
      const index = request.operation.resourceIds.indexOf(device.resourceId);
      if (index < 0) continue;
      let outcome: DeviceOutcome;
      try {
        outcome = await this.observeOne(deviceRequest(request, index));
      } catch (error) {
        errors.push(error);
        const reason = error instanceof Error ? error.message : String(error);
        outcome = { state: 'unknown', at, detail: `the device could not be read: ${reason}` };
      }
      devices.push({ resourceId: device.resourceId, outcome });
    }
    // Not one device could be read: Graph is down, so the observation is tried again as a whole.
    if (devices.length > 0 && errors.length === devices.length) throw errors[0];
    const states = devices.map((device) => device.outcome.state);
    const counts = new Map<string, number>();
    for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
    const state: DeviceOutcome['state'] =
      states.length === 0
        ? 'unknown'
        : states.includes('pending')
          ? 'pending'
          : states.every((one) => one === states[0])
            ? states[0]!
            : states.every((one) => one === 'done' || one === 'gone')
              ? 'done'
              : states.includes('failed')
                ? 'failed'
                : 'unknown';
    const detail =
      states.length === 0
        ? 'no device of the request was accepted'
        : `${states.length} device(s) observed: ${[...counts].map(([name, count]) => `${count} ${name}`).join(', ')}`;
    return { state, at, detail, devices };
  }

  /** The device's outcome of an accepted device action, read now; throws when Graph cannot be read. */
  private async observeOne(request: ApprovalRequest): Promise<DeviceOutcome> {
    const at = this.deps.now().toISOString();
    const entry = this.entryOf(request.profileType, request.operation.resourceType, request.operation.action);
    const action = entry?.deviceAction;
    const spec = RESOURCE_SPECS.managedDevice!;
    if (!action || !request.operation.resourceId) return { state: 'unknown', at, detail: 'not a device action' };
    const session = this.session(request);
    const response = await session.send(
      'GET',
      spec.version,
      `${objectPath(spec, request.operation.resourceId)}?$select=id,managementState,deviceActionResults`,
    );
    if (response.status === 404) {
      return action === 'delete'
        ? { state: 'done', at, detail: 'the device record is deleted' }
        : { state: 'gone', at, detail: 'the device record is gone (a wiped device may re-enrol under a new id)' };
    }
    if (response.status !== 200 || !isObject(response.body)) {
      throw new Error(`reading the device answered ${response.status} ${response.errorCode ?? ''}`.trim());
    }
    return deviceOutcome(action, response.body, at);
  }

  private async run(
    request: ApprovalRequest,
    entry: CatalogueEntry,
    session: GraphSession,
    budget?: CapBudget,
  ): Promise<Result> {
    const operation = request.operation as CatalogueOperation;
    const secrets = openSecrets(this.deps.appKeys, request.id, entry, operation);
    if (secrets === undefined) {
      return {
        status: 'failed',
        retryable: false,
        code: 'secret_unreadable',
        detail: 'a sealed secret of the operation does not open with the app key ring',
      };
    }
    const calls = entry.calls(operation, secrets);
    if (entry.resourceId === 'none') return this.create(request, entry, calls, session);
    const spec = RESOURCE_SPECS[operation.resourceType];
    if (!spec || !operation.resourceId) {
      return {
        status: 'failed',
        retryable: false,
        code: 'unsupported_operation',
        detail: `no Graph collection for ${operation.resourceType}`,
      };
    }
    const read = await this.reader.readTarget(session, operation.resourceType, operation.resourceId);
    if (read.kind === 'unavailable') return unavailable(read.reason);
    if (read.kind === 'forbidden') return forbidden(read.permission, read.response);
    if (read.kind === 'notFound') return this.gone(request, entry, session);
    return entry.deviceAction
      ? this.deviceAction(request, entry, entry.deviceAction, calls, read, session, budget)
      : this.change(request, entry, calls, read, session);
  }

  /** The target no longer exists: only a delete can have nothing left to do. */
  private async gone(request: ApprovalRequest, entry: CatalogueEntry, session: GraphSession): Promise<Result> {
    const what = `${request.operation.resourceType} ${request.operation.resourceId}`;
    if (entry.action !== 'delete') return targetChanged(`${what} no longer exists`);
    if (!entry.deviceAction) {
      // A DELETE of a policy, app, script, role or category is idempotent: gone is its approved outcome.
      return applied(`${what} is already deleted; nothing was sent`);
    }
    // A device: only a delete Intune audited after this request was completed (less the clock
    // skew allowed between us and Graph) counts as this request's own (an earlier attempt cut
    // short); a device removed before is drift.
    const since = sinceCompletion(request).toISOString();
    const audits = await session.list(
      'beta',
      `/deviceManagement/remoteActionAudits?$filter=requestDateTime ge ${since} and managedDeviceId eq '${request.operation.resourceId}' and action eq '${AUDIT_ACTION.delete}'&$select=id,action,managedDeviceId&$top=${AUDIT_PAGE}`,
    );
    if (!audits.ok)
      return audits.response.status === 403
        ? forbidden(AUDIT_PERMISSION, audits.response)
        : unavailable(describe(audits.response));
    const ours = audits.items.some(
      (item) => item.managedDeviceId === request.operation.resourceId && item.action === AUDIT_ACTION.delete,
    );
    return ours
      ? {
          ...applied(`${what} was deleted at ${since} or later (an earlier attempt); nothing was sent`),
          ...this.followUp(),
        }
      : targetChanged(`${what} no longer exists and Intune audited no delete of it since the completion`);
  }

  private async deviceAction(
    request: ApprovalRequest,
    entry: CatalogueEntry,
    action: DeviceAction,
    calls: GraphCall[],
    read: Extract<TargetRead, { kind: 'found' }>,
    session: GraphSession,
    budget?: CapBudget,
  ): Promise<Result> {
    if (budget) {
      // Before drift too: a device's own check-in after an accepted action may change its snapshot.
      const audited = await this.auditedSince(budget, action, session, request);
      if (audited !== undefined) return audited;
    }
    const drift = request.target ? driftBetween(request.target, read.snapshot) : [];
    if (drift.length > 0) return targetChanged(`the device changed since it was approved: ${drift.join(', ')}`);
    if (actionUnderway(action, read.object, request)) {
      return {
        ...applied(`a ${action} of ${read.snapshot.displayName} is already under way; nothing was sent`),
        ...this.followUp(),
      };
    }
    const cap = budget
      ? await this.takeFromBudget(budget, action, session, request)
      : await this.checkCap(action, session);
    if (cap) return cap;
    const device = request.operation.resourceId!;
    for (const call of calls) {
      const result = await this.write(session, call, entry, async () => {
        const again = await this.reader.readTarget(session, 'managedDevice', device);
        if (again.kind === 'found') return actionUnderway(action, again.object, request);
        return again.kind === 'notFound' && action === 'delete' ? true : undefined;
      });
      if (result.kind === 'failed') return result.outcome;
      if (result.kind === 'applied') return { ...applied(result.detail), ...this.followUp() };
    }
    const verified = await this.reader.readTarget(session, 'managedDevice', device);
    const seen =
      action === 'delete'
        ? verified.kind === 'notFound'
        : verified.kind === 'found' && actionUnderway(action, verified.object, request);
    return {
      status: 'succeeded',
      code: 'accepted',
      detail: `Graph accepted the ${action} of ${read.snapshot.displayName}${seen ? (action === 'delete' ? '; the device record is gone' : `; the device shows it pending`) : '; a read did not show it yet'}`,
      ...this.followUp(),
    };
  }

  private async change(
    request: ApprovalRequest,
    entry: CatalogueEntry,
    calls: GraphCall[],
    read: Extract<TargetRead, { kind: 'found' }>,
    session: GraphSession,
  ): Promise<Result> {
    const operation = request.operation as CatalogueOperation;
    const what = `${operation.resourceType} ${read.snapshot.displayName}`;
    const drift = request.target ? driftBetween(request.target, read.snapshot) : [];
    if (drift.length > 0) {
      // Our own earlier attempt changes lastModifiedDateTime too: the approved effect being there tells it apart.
      if (effectPresent(entry, operation, calls, read))
        return applied(`${what} already shows the approved change; nothing was sent`);
      return targetChanged(`${what} changed since it was approved: ${drift.join(', ')}`);
    }
    if (entry.idempotency === 'checkFirst' && effectPresent(entry, operation, calls, read)) {
      return applied(`${what} already shows the approved change; nothing was sent`);
    }
    for (const call of calls) {
      const result = await this.write(session, call, entry, async () => {
        const again = await this.reader.readTarget(session, operation.resourceType, operation.resourceId!);
        return again.kind === 'found' ? effectPresent(entry, operation, calls, again) : undefined;
      });
      if (result.kind === 'failed') return result.outcome;
      if (result.kind === 'applied') return applied(result.detail);
    }
    const verified = await this.verifyRead(session, operation.resourceType, operation.resourceId!);
    const holds =
      entry.action === 'delete'
        ? verified.kind === 'notFound'
        : verified.kind === 'found' && effectPresent(entry, operation, calls, verified);
    if (verified.kind === 'unavailable') {
      return {
        status: 'succeeded',
        code: 'applied',
        detail: `Graph accepted the change of ${what}; the verification read failed: ${verified.reason}`,
      };
    }
    if (!holds) {
      return {
        status: 'failed',
        retryable: false,
        code: 'verification_failed',
        detail: `Graph accepted the change of ${what}, but a read afterwards does not show it`,
      };
    }
    return { status: 'succeeded', code: 'applied', detail: `${entry.summary}: ${what} changed and verified` };
  }

  private async create(
    request: ApprovalRequest,
    entry: CatalogueEntry,
    calls: GraphCall[],
    session: GraphSession,
  ): Promise<Result> {
    const marker = MARKER(request.id);
    const [first] = calls;
    if (!first)
      return {
        status: 'failed',
        retryable: false,
        code: 'unsupported_operation',
        detail: 'the operation derives no Graph call',
      };
    const collection = `${first.path}?$select=id,description`;
    // undefined: none yet; null: the collection could not be read.
    const findEarlier = async (): Promise<Record<string, unknown> | undefined | null> => {
      const listed = await session.list(first.version, collection);
      if (!listed.ok) return null;
      return listed.items.find((item) => typeof item.description === 'string' && item.description.includes(marker));
    };
    const listed = await session.list(first.version, collection);
    if (!listed.ok) {
      return listed.response.status === 403
        ? forbidden(entry.permission, listed.response)
        : unavailable(describe(listed.response));
    }
    const earlier = listed.items.find(
      (item) => typeof item.description === 'string' && item.description.includes(marker),
    );
    if (earlier) return applied(`an earlier attempt created ${String(earlier.id)}; nothing was sent`);
    let created: Record<string, unknown> | undefined;
    for (const [index, call] of calls.entries()) {
      const body = index === 0 && isObject(call.body) ? withMarker(call.body, marker) : call.body;
      const result = await this.write(
        session,
        { ...call, ...(body === undefined ? {} : { body: body as JsonValue }) },
        entry,
        async () => {
          const found = await findEarlier();
          return found === null ? undefined : found !== undefined;
        },
      );
      if (result.kind === 'failed') return result.outcome;
      if (result.kind === 'applied') return applied(result.detail);
      if (index === 0 && isObject(result.response.body)) created = result.response.body;
    }
    const id = typeof created?.id === 'string' ? created.id : undefined;
    if (id === undefined) return { status: 'succeeded', code: 'applied', detail: `${entry.summary}: created` };
    const check = await session.send('GET', first.version, `${first.path}/${encodeURIComponent(id)}`);
    if (check.status === 200)
      return { status: 'succeeded', code: 'applied', detail: `${entry.summary}: created ${id} and verified` };
    if (check.status === 404) {
      return {
        status: 'failed',
        retryable: false,
        code: 'verification_failed',
        detail: `Graph answered the create with ${id}, which a read afterwards does not find`,
      };
    }
    return {
      status: 'succeeded',
      code: 'applied',
      detail: `${entry.summary}: created ${id}; the verification read answered ${check.status}`,
    };
  }

  /**
   * Reads today's (UTC) audits of `action` into `budget` once: the cap left, and the devices
   * audited since the request's completion (less the clock skew allowed, as for a deleted device).
   */
  private async loadBudget(
    budget: CapBudget,
    action: DeviceAction,
    session: GraphSession,
    request: ApprovalRequest,
  ): Promise<Result | undefined> {
    if (budget.refused) return budget.refused;
    if (budget.remaining !== undefined) return undefined;
    const today = await this.readToday(action, session);
    if (!Array.isArray(today)) {
      // A refusal (403) holds for every device; an outage stops the run anyway.
      budget.refused = today;
      return today;
    }
    const since = sinceCompletion(request).getTime();
    budget.remaining = this.deps.settings.dailyCaps[action] - today.length;
    budget.audited = new Set(
      today
        .filter((item) => !(Date.parse(String(item.requestDateTime)) < since))
        .map((item) => String(item.managedDeviceId).toLowerCase()),
    );
    return undefined;
  }

  /**
   * Whether Intune audited `action` on the device since the request's completion: an earlier
   * attempt of this request (a retried activity, a re-drive) sent it, so it answers
   * `already_applied` and nothing is sent again, even while the device's state does not show it
   * yet. Read from today's audits the cap reads anyway (no extra call); undefined when not audited.
   */
  private async auditedSince(
    budget: CapBudget,
    action: DeviceAction,
    session: GraphSession,
    request: ApprovalRequest,
  ): Promise<Result | undefined> {
    const refused = await this.loadBudget(budget, action, session, request);
    if (refused) return refused;
    const device = request.operation.resourceId!;
    if (!budget.audited?.has(device.toLowerCase())) return undefined;
    const name = request.target?.displayName ?? device;
    return {
      ...applied(
        `Intune audited a ${action} of ${name} at ${sinceCompletion(request).toISOString()} or later (an earlier attempt of this request); nothing was sent`,
      ),
      ...this.followUp(),
    };
  }

  /**
   * Whether a bulk action's share of today's cap leaves room for one more device (counting it when
   * it does); the refusal when not. Today's audits are read for the first device that needs it.
   */
  private async takeFromBudget(
    budget: CapBudget,
    action: DeviceAction,
    session: GraphSession,
    request: ApprovalRequest,
  ): Promise<Result | undefined> {
    const cap = this.deps.settings.dailyCaps[action];
    const refused = await this.loadBudget(budget, action, session, request);
    if (refused) return refused;
    if ((budget.remaining ?? 0) <= 0)
      return {
        status: 'failed',
        retryable: false,
        code: 'daily_cap_reached',
        detail: `the tenant's daily cap of ${cap} ${action} actions (UTC) is used up with the devices before this one: nothing was sent to it; complete a new request for it after midnight UTC`,
      };
    budget.remaining = (budget.remaining ?? 0) - 1;
    return undefined;
  }

  /** Whether today's (UTC) audited device actions leave room for one more; the refusal when not. */
  private async checkCap(action: DeviceAction, session: GraphSession): Promise<Result | undefined> {
    const cap = this.deps.settings.dailyCaps[action];
    const today = await this.countToday(action, session);
    if (typeof today !== 'number') return today;
    if (today < cap) return undefined;
    return {
      status: 'failed',
      retryable: false,
      code: 'daily_cap_reached',
      detail: `the tenant has issued ${today} ${action} actions today (UTC), its cap is ${cap}: nothing was sent; complete a new request after midnight UTC`,
    };
  }

  /** Today's (UTC) audited `action`s, counted up to the cap; the refusal when the audits cannot be read. */
  private async countToday(action: DeviceAction, session: GraphSession): Promise<number | Result> {
    const cap = this.deps.settings.dailyCaps[action];
    const today = await this.readToday(action, session, cap);
    return Array.isArray(today) ? today.length : today;
  }

  /**
   * Today's (UTC) audits of `action` (id, device id and time of each); reading stops once `enough`
   * were read (a tenant's day can hold thousands of audits, and more change nothing); the refusal
   * when the audits cannot be read.
   */
  private async readToday(
    action: DeviceAction,
    session: GraphSession,
    enough = Number.POSITIVE_INFINITY,
  ): Promise<Record<string, unknown>[] | Result> {
    const now = this.deps.now();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    const ours = (items: readonly Record<string, unknown>[]) =>
      items.filter((item) => item.action === AUDIT_ACTION[action]);
    const audits = await session.list(
      'beta',
      `/deviceManagement/remoteActionAudits?$filter=requestDateTime ge ${dayStart} and action eq '${AUDIT_ACTION[action]}'&$select=id,action,managedDeviceId,requestDateTime&$top=${AUDIT_PAGE}`,
      10_000,
      (items) => ours(items).length >= enough,
    );
    if (!audits.ok) {
      return audits.response.status === 403
        ? forbidden(AUDIT_PERMISSION, audits.response)
        : unavailable(describe(audits.response));
    }
    return ours(audits.items);
  }

  /**
   * Sends one write. 429 waits `Retry-After` (or a backoff) and sends again: Graph did not process
   * it. A 5xx or a lost answer sends an `idempotent` write again; a `checkFirst` write only after
   * `applied()` read the state and saw its effect absent (undefined: the state could not be read,
   * so nothing is sent again in this execution).
   */
  private async write(
    session: GraphSession,
    call: GraphCall,
    entry: CatalogueEntry,
    appliedNow: () => Promise<boolean | undefined>,
  ): Promise<WriteResult> {
    const attempts = this.deps.settings.maxAttempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      const response = await session.send(call.method, call.version, call.path, call.body);
      const status = response.status;
      if (status >= 200 && status < 300) return { kind: 'sent', response };
      const native = nativeApproval(response);
      if (native) return { kind: 'failed', outcome: nativeRequired(entry, response, native) };
      if (status === 403) return { kind: 'failed', outcome: forbidden(entry.permission, response) };
      if (status === 429) {
        const wait = response.retryAfterMs ?? backoff(attempt);
        if (attempt >= attempts || wait > this.deps.settings.maxRetryAfterMs) {
          return {
            kind: 'failed',
            outcome: {
              status: 'failed',
              retryable: true,
              code: 'graph_throttled',
              detail: `Graph throttled ${call.method} ${response.path} (429${response.retryAfterMs === undefined ? '' : `, Retry-After ${Math.ceil(response.retryAfterMs / 1000)} s`}); nothing was applied, it is tried again later`,
            },
          };
        }
        await this.sleep(wait);
        continue;
      }
      if (status === 0 || status >= 500) {
        if (attempt >= attempts) return { kind: 'failed', outcome: unavailable(describe(response)) };
        await this.sleep(Math.min(backoff(attempt), this.deps.settings.maxRetryAfterMs));
        if (entry.idempotency === 'checkFirst') {
          const state = await appliedNow();
          if (state === true)
            return {
              kind: 'applied',
              detail: `Graph applied ${call.method} ${response.path} though its answer was ${status || 'lost'}; it was not sent again`,
            };
          if (state === undefined)
            return {
              kind: 'failed',
              outcome: unavailable(`${describe(response)}; the state could not be read, so it was not sent again`),
            };
        }
        continue;
      }
      if (status === 401)
        return {
          kind: 'failed',
          outcome: { status: 'failed', retryable: true, code: 'graph_unauthorized', detail: describe(response) },
        };
      if (status === 404) {
        return call.method === 'DELETE'
          ? { kind: 'applied', detail: `${response.path} is already gone; nothing was left to delete` }
          : { kind: 'failed', outcome: targetChanged(`${response.path} no longer exists`) };
      }
      return {
        kind: 'failed',
        outcome: {
          status: 'failed',
          retryable: false,
          code: 'graph_rejected',
          detail: `Graph refused ${call.method} ${response.path}: ${status} ${response.errorCode ?? ''}: ${(response.errorMessage ?? '').slice(0, DETAIL_LIMIT)}`,
        },
      };
    }
  }

  /** A read after a write, tried twice: a read may briefly lag the write it follows. */
  private async verifyRead(session: GraphSession, resourceType: string, id: string): Promise<TargetRead> {
    const first = await this.reader.readTarget(session, resourceType, id);
    if (first.kind !== 'unavailable') return first;
    await this.sleep(1000);
    return this.reader.readTarget(session, resourceType, id);
  }

  /**
   * The Graph calls of one request (of one device of a bulk request): its client-request-id,
   * derived from the request id (and the device id); reads tried again within the wait bound.
   */
  private session(request: ApprovalRequest, deviceId?: string): GraphSession {
    const id =
      deviceId === undefined ? clientRequestIdFor(request.id) : clientRequestIdFor(`${request.id}/${deviceId}`);
    return new GraphSession(this.deps.client, id, this.deps.now, {
      attempts: this.deps.settings.maxAttempts ?? 4,
      maxWaitMs: this.deps.settings.maxRetryAfterMs,
      sleep: this.sleep,
    });
  }

  private followUp(): Facts {
    const { followUpEveryMs, followUpForMs } = this.deps.settings;
    return {
      followUp: { everyMs: followUpEveryMs, until: new Date(this.deps.now().getTime() + followUpForMs).toISOString() },
    };
  }
}

const AUDIT_PERMISSION = 'DeviceManagementManagedDevices.Read.All';

/** Device `index` of bulk `request` as a single device action: its id in `resourceId`, its snapshot as `target`. */
function deviceRequest(request: ApprovalRequest, index: number): ApprovalRequest {
  const { resourceIds, ...operation } = request.operation;
  const { targets, target: _none, ...rest } = request;
  const target = targets?.[index];
  return {
    ...rest,
    operation: { ...operation, resourceId: resourceIds![index]! },
    ...(target === undefined ? {} : { target }),
  };
}

/**
 * A bulk action's outcome over its devices: `succeeded` (`accepted`) only when every device
 * succeeded; otherwise `failed`, `partially_applied` when some succeeded, else the devices' common
 * code, else `devices_failed`.
 */
function bulkSummary(action: DeviceAction, devices: readonly DeviceExecution[]): Result {
  const counts = new Map<string, number>();
  for (const device of devices)
    counts.set(device.code ?? device.status, (counts.get(device.code ?? device.status) ?? 0) + 1);
  const tally = [...counts].map(([code, count]) => `${count} ${code}`).join(', ');
  const succeeded = devices.filter((device) => device.status === 'succeeded').length;
  if (succeeded === devices.length)
    return { status: 'succeeded', code: 'accepted', detail: `${action} of ${devices.length} device(s): ${tally}` };
  const codes = new Set(devices.map((device) => device.code));
  const code =
    succeeded > 0 ? 'partially_applied' : codes.size === 1 ? ([...codes][0] ?? 'devices_failed') : 'devices_failed';
  return {
    status: 'failed',
    retryable: false,
    code,
    detail: `${action} of ${devices.length} device(s), ${succeeded} succeeded: ${tally}`,
  };
}

/** The secret fields opened; undefined when one is present but does not open (or is not sealed). */
function openSecrets(
  ring: AppKeyRing,
  requestId: string,
  entry: CatalogueEntry,
  operation: CatalogueOperation,
): Record<string, string> | undefined {
  const secrets: Record<string, string> = {};
  const payload = isObject(operation.payload) ? operation.payload : {};
  for (const field of entry.secretFields ?? []) {
    const value = payload[field];
    if (value === undefined) continue;
    if (!isSealedSecret(value)) return undefined;
    const clear = openSecret(ring, requestId, field, value);
    if (clear === undefined) return undefined;
    secrets[field] = clear;
  }
  return secrets;
}

/**
 * Whether a wipe or retire is pending or done on the device since the request was completed (less
 * five minutes of clock skew), or its management state says one is pending or issued.
 */
function actionUnderway(action: DeviceAction, device: Record<string, unknown>, request: ApprovalRequest): boolean {
  if (action === 'delete') return false;
  const state = typeof device.managementState === 'string' ? device.managementState : '';
  if (state === `${action}Pending` || state === `${action}Issued`) return true;
  const since = sinceCompletion(request).getTime();
  const results = Array.isArray(device.deviceActionResults) ? device.deviceActionResults : [];
  return results.some(
    (result) =>
      isObject(result) &&
      String(result.actionName).toLowerCase() === action &&
      ['pending', 'active', 'done'].includes(String(result.actionState)) &&
      !(Date.parse(String(result.startDateTime)) < since),
  );
}

/** The request's completion less five minutes: the clock skew allowed between the service and Graph. */
function sinceCompletion(request: ApprovalRequest): Date {
  return new Date(Date.parse(request.completedAt ?? request.createdAt) - 5 * 60_000);
}

/** The device-side outcome of `action` from a device read. */
export function deviceOutcome(action: DeviceAction, device: Record<string, unknown>, at: string): DeviceOutcome {
  if (action === 'delete') return { state: 'pending', at, detail: 'the device record still exists' };
  const results = Array.isArray(device.deviceActionResults) ? device.deviceActionResults.filter(isObject) : [];
  const result = results.filter((r) => String(r.actionName).toLowerCase() === action).at(-1);
  const state = String(result?.actionState ?? '');
  const management = typeof device.managementState === 'string' ? device.managementState : 'unknown';
  const detail = `${action} ${state || 'not listed'}; management state ${management}`;
  if (state === 'done') return { state: 'done', at, detail };
  if (['failed', 'canceled', 'notSupported'].includes(state)) return { state: 'failed', at, detail };
  if (state === 'pending' || state === 'active') return { state: 'pending', at, detail };
  if (management === `${action}Issued`) return { state: 'done', at, detail };
  if (management === `${action}Pending`) return { state: 'pending', at, detail };
  if (management === `${action}Failed` || management === `${action}Canceled`) return { state: 'failed', at, detail };
  return { state: 'unknown', at, detail };
}

/**
 * Whether the target as read already shows the approved write: a PATCH or PUT's values (of the
 * properties Graph returns), an `/assign`'s assignment set, one added assignment, a removed one.
 */
function effectPresent(
  entry: CatalogueEntry,
  operation: CatalogueOperation,
  calls: GraphCall[],
  read: Extract<TargetRead, { kind: 'found' }>,
): boolean {
  const call = calls[0];
  if (!call) return false;
  const live = read.assignments ?? [];
  switch (entry.action) {
    case 'update':
    case 'replace': {
      if (!isObject(call.body)) return false;
      const compared = Object.entries(call.body).filter(([name]) => !name.includes('@odata') && name in read.object);
      return (
        compared.length > 0 &&
        compared.every(([name, value]) => canonicalJson(read.object[name]) === canonicalJson(value))
      );
    }
    case 'assign': {
      const wanted = isObject(call.body) ? Object.values(call.body).find(Array.isArray) : undefined;
      if (!Array.isArray(wanted)) return false;
      const views = wanted.filter(isObject).map(assignmentView);
      return canonicalJson(assignmentSet(views)) === canonicalJson(assignmentSet(live.map(assignmentView)));
    }
    case 'addAssignment': {
      if (!isObject(call.body)) return false;
      const [wanted] = assignmentSet([assignmentView(call.body)]);
      return assignmentSet(live.map(assignmentView)).includes(wanted!);
    }
    case 'removeAssignment': {
      const id = isObject(operation.payload) ? operation.payload.assignmentId : undefined;
      return typeof id === 'string' && !live.some((item) => item.id === id);
    }
    default:
      return false;
  }
}

/** Intune's own Multi Admin Approval answering an app-only write, or undefined. */
function nativeApproval(response: IntuneGraphResponse): string | undefined {
  const message = response.errorMessage ?? '';
  const code = response.headers.get('x-msft-approval-code') ?? undefined;
  if (response.status === 400 && /x-msft-approval-justification/i.test(message))
    return 'asked for an approval justification';
  if (response.status === 403 && (response.errorCode === 'ApprovalRequired' || code)) {
    return `filed an Intune approval request${code ? ` ${code}` : ''}`;
  }
  if (response.status === 412) return `held the write for an Intune approval${code ? ` (${code})` : ''}`;
  if (response.status === 409 && /approval request/i.test(message)) return 'reports an active Intune approval request';
  return undefined;
}

function nativeRequired(entry: CatalogueEntry, response: IntuneGraphResponse, what: string) {
  return {
    status: 'failed' as const,
    retryable: false,
    code: 'native_approval_required',
    detail:
      `Intune's Multi Admin Approval intercepted the write (${response.status}${response.errorCode ? ` ${response.errorCode}` : ''}: it ${what}); nothing was applied. ` +
      `This service is the approval gate: add its app to the Exclusions of the Intune access policy that protects ${entry.profileType}, then complete a new request`,
  };
}

function forbidden(permission: string, response: IntuneGraphResponse) {
  return {
    status: 'failed' as const,
    retryable: false,
    code: 'graph_forbidden',
    detail: `Graph refused ${response.path} (403${response.errorCode ? ` ${response.errorCode}` : ''}): the app lacks the application permission ${permission}; grant it and complete a new request`,
  };
}

function targetChanged(detail: string) {
  return {
    status: 'failed' as const,
    retryable: false,
    code: 'target_changed',
    detail: `${detail}; nothing was written: submit a new request for the target as it is now`,
  };
}

function unavailable(reason: string) {
  return {
    status: 'failed' as const,
    retryable: true,
    code: 'graph_unavailable',
    detail: `Microsoft Graph is unavailable: ${reason}`,
  };
}

function applied(detail: string) {
  return { status: 'succeeded' as const, code: 'already_applied', detail };
}

function describe(response: IntuneGraphResponse): string {
  return response.status === 0
    ? `${response.path}: no answer (${response.errorMessage ?? 'network failure'})`
    : `${response.path} answered ${response.status}${response.errorCode ? ` ${response.errorCode}` : ''}`;
}

function withMarker(body: Record<string, unknown>, marker: string): Record<string, unknown> {
  const description = typeof body.description === 'string' ? body.description : '';
  return { ...body, description: `${description} ${marker}`.trim() };
}

function backoff(attempt: number): number {
  return 1000 * 2 ** (attempt - 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
