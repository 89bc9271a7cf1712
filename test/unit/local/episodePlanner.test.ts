import type { DurableFunctionKind, RegisteredNames } from '../../../local/durable/functionRegistry';
import {
  deliverable,
  episodeTime,
  freshState,
  openingEvents,
  planEpisode,
  retryDelay,
  settlePlan,
  type EngineState,
  type EpisodeInput,
  type EpisodeInstance,
  type EpisodePlan,
} from '../../../local/durable/episodePlanner';
import { EventType, OrchestrationStatusCode, historyEvent, type HistoryEvent } from '../../../local/durable/history';
import { Action, type OrchestratorAction, type OrchestratorState } from '../../../local/durable/sdkProtocol';
import type { InboxRow } from '../../../local/durable/store';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const iso = (ms: number) => new Date(ms).toISOString();

const names: RegisteredNames = {
  has: (kind: DurableFunctionKind, name: string) =>
    (kind === 'activity' ? ['Greet', 'Flaky'] : ['Child']).includes(name),
};

const instance: EpisodeInstance = {
  instanceId: 'i1',
  name: 'Main',
  version: '',
  executionId: 'e1',
  input: '"in"',
  output: null,
  customStatus: null,
  parent: undefined,
};

const activity = (name: string, input?: unknown): OrchestratorAction => ({
  actionType: Action.CallActivity,
  functionName: name,
  input,
});
const retrying = (name: string, maxNumberOfAttempts: number): OrchestratorAction => ({
  actionType: Action.CallActivityWithRetry,
  functionName: name,
  retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts, backoffCoefficient: 2 },
});
const timer = (fireMs: number, isCanceled = false): OrchestratorAction => ({
  actionType: Action.CreateTimer,
  fireAt: iso(fireMs),
  isCanceled,
});
const waitFor = (event: string): OrchestratorAction => ({
  actionType: Action.WaitForExternalEvent,
  externalEventName: event,
});
const running = (...actions: OrchestratorAction[]): OrchestratorState => ({
  isDone: false,
  actions: actions.map((a) => [a]),
});
const done = (output: unknown, ...actions: OrchestratorAction[]): OrchestratorState => ({
  isDone: true,
  actions: actions.map((a) => [a]),
  output,
});

/** State after earlier episodes, built from the fresh state. */
function started(change: Partial<EngineState> = {}): EngineState {
  return { ...freshState(), started: true, lastEpisodeMs: T0, ...change };
}

/** One episode: the state before it, what it delivers, what the SDK answered. */
function plan(
  state: EngineState,
  delivered: HistoryEvent[],
  outcome: EpisodeInput['outcome'],
  at = T0,
  who: EpisodeInstance = instance,
): EpisodePlan {
  const episodeMs = episodeTime(at, state, delivered);
  return planEpisode({
    instance: who,
    state,
    opening: openingEvents(who, state, delivered, episodeMs),
    delivered,
    consumedMessages: delivered.map((_, i) => i + 1),
    episodeMs,
    outcome,
    names,
    newExecutionId: () => 'e2',
  });
}

const types = (events: HistoryEvent[]) => events.map((e) => e.EventType);
const taskCompleted = (taskId: number, at = T0) =>
  historyEvent(EventType.TaskCompleted, at, { TaskScheduledId: taskId, Result: '"ok"' });
const taskFailed = (taskId: number, at = T0) =>
  historyEvent(EventType.TaskFailed, at, { TaskScheduledId: taskId, Reason: 'boom', Details: 'boom' });
const timerFired = (timerId: number, fireMs: number) =>
  historyEvent(EventType.TimerFired, fireMs, { TimerId: timerId, FireAt: iso(fireMs) });

describe('episode planner: activities', () => {
  it('schedules a new activity with the next sequence id and opens the first episode with ExecutionStarted', () => {
    const p = plan(freshState(), [], { state: running(activity('Greet', { name: 'x' })) });
    expect(types(p.append)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionStarted,
      EventType.TaskScheduled,
      EventType.OrchestratorCompleted,
    ]);
    expect(p.append[2]).toMatchObject({ EventId: 0, Name: 'Greet', Input: '{"name":"x"}' });
    expect(p.work).toEqual([{ taskId: 0, name: 'Greet', input: '{"name":"x"}' }]);
    expect(p.status).toBe('Running');
    expect(p.state).toMatchObject({
      started: true,
      nextSeq: 1,
      lastEpisodeMs: T0,
      leaves: [{ t: 0, n: 'Greet', id: 0 }],
    });
  });

  it('passes a string input through as the JSON text the SDK already encoded', () => {
    const p = plan(freshState(), [], { state: running(activity('Greet', '"text"')) });
    expect(p.work[0]!.input).toBe('"text"');
  });

  it('schedules nothing again for an action already in history, and completes with the output', () => {
    const state = started({ nextSeq: 1, leaves: [{ t: Action.CallActivity, n: 'Greet', id: 0 }] });
    const p = plan(state, [taskCompleted(0)], { state: done({ greeting: 'hi' }, activity('Greet')) });
    expect(types(p.append)).toEqual([
      EventType.OrchestratorStarted,
      EventType.TaskCompleted,
      EventType.ExecutionCompleted,
      EventType.OrchestratorCompleted,
    ]);
    expect(p.work).toEqual([]);
    expect(p.output).toBe('{"greeting":"hi"}');
    expect(p.completeUnlessTimers).toBe(true);
    expect(p.consumedMessages).toEqual([1]);
    expect(settlePlan(p, 'i1', 0)).toMatchObject({ status: 'Completed', finish: 'completed' });
  });

  it('fails the instance when it names an activity the app did not register', () => {
    const p = plan(freshState(), [], { state: running(activity('Nope')) });
    expect(p.status).toBe('Failed');
    expect(p.finish).toBe('completed');
    expect(JSON.parse(p.output!)).toBe(
      "Orchestrator function 'Main' failed: The function 'Nope' doesn't exist, is disabled, or is not an activity function.",
    );
    expect(p.work).toEqual([]);
  });

  it('fails on a replay that schedules something other than history recorded (non-determinism)', () => {
    const state = started({ nextSeq: 1, leaves: [{ t: Action.CallActivity, n: 'Greet', id: 0 }] });
    const p = plan(state, [taskCompleted(0)], { state: running(activity('Flaky')) });
    expect(p.status).toBe('Failed');
    expect(JSON.parse(p.output!)).toMatch(
      /^Non-Deterministic workflow detected: .* scheduled an activity task named 'Greet' at position 0, but the current replay instead scheduled an activity task named 'Flaky'/,
    );
    const completed = p.append.find((e) => e.EventType === EventType.ExecutionCompleted)!;
    expect(completed.OrchestrationStatus).toBe(OrchestrationStatusCode.Failed);
  });

  it.each([
    [Action.CallEntity, 'durable entities (callEntity)'],
    [Action.SignalEntity, 'durable entities (signalEntity)'],
    [Action.CallHttp, 'durable HTTP (callHttp)'],
  ])('refuses unsupported action type %i (%s)', (actionType, feature) => {
    const p = plan(freshState(), [], { state: running({ actionType }) });
    expect(JSON.parse(p.output!)).toBe(
      `Orchestrator function 'Main' failed: ${feature} is not supported by the local runtime.`,
    );
  });

  it('fails the instance with the message when the SDK could not run the episode', () => {
    const state = started({ nextSeq: 1, leaves: [{ t: Action.CallActivity, n: 'Greet', id: 0 }] });
    const p = plan(state, [taskCompleted(0)], { failure: "Orchestrator function 'Main' failed: bad" });
    expect(p.status).toBe('Failed');
    expect(p.state.leaves).toEqual(state.leaves);
    expect(p.append.at(-2)).toMatchObject({
      EventType: EventType.ExecutionCompleted,
      Result: "Orchestrator function 'Main' failed: bad",
      FailureDetails: { ErrorType: 'OrchestrationFailure' },
    });
  });

  it('does not modify the state it was given', () => {
    const state = started({ nextSeq: 1, leaves: [{ t: Action.CallActivity, n: 'Greet', id: 0 }] });
    const before = structuredClone(state);
    plan(state, [taskCompleted(0)], { state: running(activity('Greet'), activity('Greet'), timer(T0 + DAY)) });
    expect(state).toEqual(before);
  });
});

describe('episode planner: retries', () => {
  const firstAttempt = () => plan(freshState(), [], { state: running(retrying('Flaky', 3)) }).state;

  it('records a retry for callActivityWithRetry', () => {
    const state = firstAttempt();
    expect(state.retries['0']).toMatchObject({ attempt: 1, name: 'Flaky', sub: false });
    expect(state.retryByTask).toEqual({ '0': 0 });
  });

  it('answers a failed attempt with a retry timer after the back-off delay', () => {
    const p = plan(firstAttempt(), [taskFailed(0)], { state: running(retrying('Flaky', 3)) }, T0 + 5 * SECOND);
    const created = p.append.find((e) => e.EventType === EventType.TimerCreated)!;
    expect(created).toMatchObject({ EventId: 1, FireAt: iso(T0 + 6 * SECOND) });
    expect(p.messages).toEqual([expect.objectContaining({ instanceId: '', timerId: 1, visibleMs: T0 + 6 * SECOND })]);
    expect(p.state.retries['0']!.attempt).toBe(2);
    expect(p.state.retryByTimer).toEqual({ '1': 0 });
    expect(p.state.retryByTask).toEqual({});
  });

  it('schedules the next attempt when the retry timer fires', () => {
    const afterFailure = plan(firstAttempt(), [taskFailed(0)], { state: running(retrying('Flaky', 3)) }).state;
    const p = plan(afterFailure, [timerFired(1, T0 + SECOND)], { state: running(retrying('Flaky', 3)) }, T0 + SECOND);
    expect(p.work).toEqual([{ taskId: 2, name: 'Flaky', input: null }]);
    expect(p.state.leaves[0]!.id).toBe(2);
    expect(p.state.retryByTask).toEqual({ '2': 0 });
  });

  it('after the last attempt waits on a timer that fires at once, then gives up', () => {
    const exhausted = started({
      nextSeq: 5,
      leaves: [{ t: Action.CallActivityWithRetry, n: 'Flaky', id: 4 }],
      retries: {
        '0': {
          leaf: 0,
          attempt: 3,
          options: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3 },
          name: 'Flaky',
          input: null,
          sub: false,
        },
      },
      retryByTask: { '4': 0 },
    });
    const failed = plan(exhausted, [taskFailed(4)], { state: running(retrying('Flaky', 3)) });
    expect(failed.messages).toEqual([expect.objectContaining({ timerId: 5, visibleMs: T0 })]);
    const final = plan(failed.state, [timerFired(5, T0)], { state: running(retrying('Flaky', 3)) });
    expect(final.work).toEqual([]);
    expect(final.state.retries).toEqual({});
  });

  it('forgets the retry record once an attempt succeeds', () => {
    const p = plan(firstAttempt(), [taskCompleted(0)], { state: running(retrying('Flaky', 3)) });
    expect(p.state.retries).toEqual({});
    expect(p.state.retryByTask).toEqual({});
  });

  it.each([
    [{ firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5 }, 3, 1000],
    [{ firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5, backoffCoefficient: 2 }, 3, 4000],
    [
      {
        firstRetryIntervalInMilliseconds: 1000,
        maxNumberOfAttempts: 5,
        backoffCoefficient: 2,
        maxRetryIntervalInMilliseconds: 2500,
      },
      3,
      2500,
    ],
    [{ firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5, maxRetryIntervalInMilliseconds: 0 }, 1, 1000],
  ])('retry delay with %j after attempt %i is %i ms', (options, attempt, expected) => {
    expect(retryDelay(options, attempt)).toBe(expected);
  });
});

describe('episode planner: timers', () => {
  it('creates a short timer as TimerCreated plus a TimerFired message visible at its time', () => {
    const p = plan(freshState(), [], { state: running(timer(T0 + DAY)) });
    expect(p.append.find((e) => e.EventType === EventType.TimerCreated)).toMatchObject({
      EventId: 0,
      FireAt: iso(T0 + DAY),
      Timestamp: iso(T0),
    });
    expect(p.messages).toEqual([
      {
        instanceId: '',
        executionId: 'e1',
        event: expect.objectContaining({ EventType: EventType.TimerFired, TimerId: 0, FireAt: iso(T0 + DAY) }),
        visibleMs: T0 + DAY,
        timerId: 0,
      },
    ]);
  });

  it('splits a timer longer than six days into three-day sub-timers, as the SDK does', () => {
    const final = T0 + 10 * DAY;
    const first = plan(freshState(), [], { state: running(timer(final)) });
    expect(first.messages[0]).toMatchObject({ timerId: 0, visibleMs: T0 + 3 * DAY });
    expect(first.state.longTimers).toEqual({ '0': { leaf: 0, finalMs: final } });

    const second = plan(first.state, [timerFired(0, T0 + 3 * DAY)], { state: running(timer(final)) }, T0 + 3 * DAY);
    // Seven days remain: still long, so another three-day sub-timer.
    expect(second.messages[0]).toMatchObject({ timerId: 1, visibleMs: T0 + 6 * DAY });
    expect(second.state.leaves[0]!.id).toBe(1);

    const third = plan(second.state, [timerFired(1, T0 + 6 * DAY)], { state: running(timer(final)) }, T0 + 6 * DAY);
    // Four days remain: the last sub-timer fires at the timer's own time.
    expect(third.messages[0]).toMatchObject({ timerId: 2, visibleMs: final });

    const fired = plan(third.state, [timerFired(2, final)], { state: done('late', timer(final)) }, final);
    expect(fired.messages).toEqual([]);
    expect(fired.state.longTimers).toEqual({});
    expect(fired.output).toBe('"late"');
  });

  it('never runs an episode before a delivered timer is due', () => {
    expect(episodeTime(T0, started(), [timerFired(0, T0 + 500)])).toBe(T0 + 500);
    expect(episodeTime(T0, started({ lastEpisodeMs: T0 + 900 }), [])).toBe(T0 + 900);
  });

  it('cancels a live timer the orchestrator cancelled (the approval pattern)', () => {
    const state = started({
      nextSeq: 1,
      leaves: [
        { t: Action.CreateTimer, id: 0 },
        { t: Action.WaitForExternalEvent, n: 'Approve' },
      ],
    });
    const raised = historyEvent(EventType.EventRaised, T0, { Name: 'Approve', Input: '"yes"' });
    const p = plan(state, [raised], { state: done('approved', timer(T0 + DAY, true), waitFor('Approve')) });
    expect(p.timersToCancel).toEqual([0]);
    expect(p.state.leaves[0]!.canceled).toBe(true);
    expect(settlePlan(p, 'i1', 0).status).toBe('Completed');
  });

  it('records a timer created already cancelled without arming it', () => {
    const p = plan(freshState(), [], { state: running(timer(T0 + DAY, true)) });
    expect(p.append.some((e) => e.EventType === EventType.TimerCreated)).toBe(true);
    expect(p.messages).toEqual([]);
  });

  it('keeps an instance whose orchestrator returned running while a timer is live', () => {
    const child = { ...instance, parent: { instanceId: 'p1', executionId: 'pe', taskId: 3, name: 'Parent' } };
    const p = plan(freshState(), [], { state: done('out', timer(T0 + DAY)) }, T0, child);
    const settled = settlePlan(p, 'i1', 0);
    expect(settled.status).toBe('Running');
    expect(settled.finish).toBeUndefined();
    expect(types(settled.append)).not.toContain(EventType.ExecutionCompleted);
    expect(settled.otherMessages).toEqual([]);
    expect(settlePlan(p, 'i1', 0).ownMessages).toHaveLength(1);
  });

  it('counts timers the store still holds when settling', () => {
    const state = started({ nextSeq: 1, leaves: [{ t: Action.CreateTimer, id: 0 }] });
    const p = plan(state, [], { state: done('out', timer(T0 + DAY)) });
    expect(settlePlan(p, 'i1', 1).status).toBe('Running');
    expect(settlePlan(p, 'i1', 0).status).toBe('Completed');
  });
});

describe('episode planner: external events', () => {
  it('records a wait for an event without a sequence id', () => {
    const p = plan(freshState(), [], { state: running(waitFor('Approve')) });
    expect(p.state.nextSeq).toBe(0);
    expect(p.state.leaves).toEqual([{ t: Action.WaitForExternalEvent, n: 'Approve' }]);
    expect(p.messages).toEqual([]);
  });

  it('appends a raised event to history whether or not the orchestrator waits for it yet', () => {
    const raised = historyEvent(EventType.EventRaised, T0, { Name: 'Early', Input: '1' });
    const p = plan(started(), [raised], { state: running() });
    expect(p.append[1]).toBe(raised);
    expect(p.status).toBe('Running');
  });
});

describe('episode planner: sub-orchestrations', () => {
  const parent = { instanceId: 'p1', executionId: 'pe', taskId: 3, name: 'Parent' };
  const child = { ...instance, parent };

  it('creates a child with a deterministic id from the execution and task', () => {
    const p = plan(freshState(), [], {
      state: running({ actionType: Action.CallSubOrchestrator, functionName: 'Child', input: { a: 1 } }),
    });
    expect(p.children).toEqual([{ instanceId: 'e1:0', name: 'Child', version: '', input: '{"a":1}', taskId: 0 }]);
  });

  it.each(['i1', '@bad'])('refuses child instance id %s', (instanceId) => {
    const p = plan(freshState(), [], {
      state: running({ actionType: Action.CallSubOrchestrator, functionName: 'Child', instanceId }),
    });
    expect(JSON.parse(p.output!)).toBe(
      `Orchestrator function 'Main' failed: A sub-orchestration cannot use the instance ID '${instanceId}'.`,
    );
  });

  it('names the parent in ExecutionStarted and tells it when the child completes', () => {
    const p = plan(freshState(), [], { state: done(42) }, T0, child);
    expect(p.append[1]).toMatchObject({
      ParentInstance: {
        Name: 'Parent',
        TaskScheduleId: 3,
        OrchestrationInstance: { InstanceId: 'p1', ExecutionId: 'pe' },
      },
    });
    expect(settlePlan(p, 'i1', 0).otherMessages).toEqual([
      expect.objectContaining({
        instanceId: 'p1',
        executionId: 'pe',
        event: expect.objectContaining({
          EventType: EventType.SubOrchestrationInstanceCompleted,
          TaskScheduledId: 3,
          Result: '42',
        }),
      }),
    ]);
  });

  it('tells the parent when the child fails', () => {
    const p = plan(freshState(), [], { failure: 'broken' }, T0, child);
    expect(p.messages).toEqual([
      expect.objectContaining({
        instanceId: 'p1',
        event: expect.objectContaining({
          EventType: EventType.SubOrchestrationInstanceFailed,
          TaskScheduledId: 3,
          Reason: 'broken',
        }),
      }),
    ]);
  });
});

describe('episode planner: completion', () => {
  it('continues as new with a fresh execution, state and input, dropping its timers', () => {
    const p = plan(freshState(), [], {
      state: done(undefined, timer(T0 + DAY), { actionType: Action.ContinueAsNew, input: { round: 2 } }),
    });
    expect(p).toMatchObject({
      status: 'ContinuedAsNew',
      finish: 'continuedAsNew',
      executionId: 'e2',
      input: '{"round":2}',
    });
    expect(p.state).toEqual({ ...freshState(), lastEpisodeMs: T0 });
    expect(p.messages).toEqual([]);
    expect(p.append.at(-2)).toMatchObject({ EventType: EventType.ContinueAsNew, Result: '{"round":2}' });
  });

  it('records a custom status as JSON text', () => {
    const p = plan(freshState(), [], { state: { ...running(), customStatus: { step: 1 } } });
    expect(p.customStatus).toBe('{"step":1}');
  });

  it('fails an instance whose custom status is over 16 KB of UTF-16', () => {
    const p = plan(freshState(), [], { state: { ...running(), customStatus: 'x'.repeat(9000) } });
    expect(p.status).toBe('Failed');
    expect(JSON.parse(p.output!)).toMatch(/must not exceed 16 KB\. The current payload size is 17 KB\.$/);
  });
});

describe('which inbox events one episode takes', () => {
  const row = (id: number, event: HistoryEvent, kind: InboxRow['kind'] = 'event'): InboxRow => ({
    id,
    instance_id: 'i1',
    execution_id: 'e1',
    kind,
    body: JSON.stringify(event),
    visible_ms: T0,
    timer_id: null,
  });
  const retryState = started({ retryByTask: { '0': 0 }, retryByTimer: { '7': 0 } });

  it.each<[string, InboxRow[], boolean, number[]]>([
    ['plain events together', [row(1, taskCompleted(5)), row(2, taskCompleted(6))], false, [1, 2]],
    [
      'an id-allocating failure may lead, plain events follow it',
      [row(1, taskFailed(0)), row(2, taskCompleted(6))],
      false,
      [1, 2],
    ],
    ['stops before an id-allocating failure', [row(1, taskCompleted(6)), row(2, taskFailed(0))], false, [1]],
    ['stops before a retry timer', [row(1, taskCompleted(6)), row(2, timerFired(7, T0))], false, [1]],
    ['not even first in the starting episode', [row(1, taskFailed(0))], true, []],
    ['stops at a control message', [row(1, taskCompleted(6)), row(2, taskCompleted(7), 'terminate')], false, [1]],
  ])('%s', (_, rows, starting, ids) => {
    expect(deliverable(rows, retryState, starting).map((r) => r.id)).toEqual(ids);
  });
});
