import { EventType, historyEvent } from '../../../local/durable/history';
import {
  Action,
  activityResultText,
  buildOrchestratorPayload,
  leafActions,
  orchestratorFailureMessage,
  parseOrchestratorState,
} from '../../../local/durable/sdkProtocol';

describe('the orchestration trigger payload', () => {
  const started = historyEvent(EventType.OrchestratorStarted, Date.parse('2030-01-01T00:00:00Z'));

  test('splices the stored history before the new events and carries the settings the extension sends', () => {
    const stored = JSON.stringify(historyEvent(EventType.ExecutionStarted, 0, { Input: '1' }));
    const payload = JSON.parse(
      buildOrchestratorPayload([stored], [started], { instanceId: 'i"1', input: '{"a":1}', parentInstanceId: 'p1' }),
    ) as Record<string, unknown>;
    expect(payload).toEqual({
      history: [JSON.parse(stored), JSON.parse(JSON.stringify(started))],
      input: { a: 1 },
      instanceId: 'i"1',
      isReplaying: true,
      parentInstanceId: 'p1',
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    });
  });

  test.each([null, ''])('sends input %j as null on a first episode, with no parent', (input) => {
    const payload = JSON.parse(
      buildOrchestratorPayload([], [started], { instanceId: 'i1', input, parentInstanceId: undefined }),
    ) as Record<string, unknown>;
    expect(payload).toMatchObject({ input: null, isReplaying: false, parentInstanceId: null });
    expect(payload.history).toHaveLength(1);
  });
});

describe('reading the SDK back', () => {
  test('parses the returned state from json or string data, and refuses none', () => {
    expect(parseOrchestratorState({ json: '{"isDone":true,"actions":[]}' }).isDone).toBe(true);
    expect(parseOrchestratorState({ string: '{"isDone":false,"actions":[]}' }).isDone).toBe(false);
    expect(() => parseOrchestratorState(undefined)).toThrow('the orchestrator returned no state');
  });

  test('flattens whenAll and whenAny into their leaves, depth first', () => {
    const leaves = leafActions({
      isDone: false,
      actions: [
        [
          {
            actionType: Action.WhenAny,
            compoundActions: [
              { actionType: Action.CreateTimer, fireAt: 'x' },
              {
                actionType: Action.WhenAll,
                compoundActions: [{ actionType: Action.CallActivity, functionName: 'A' }],
              },
            ],
          },
        ],
        [{ actionType: Action.WaitForExternalEvent, externalEventName: 'E' }],
      ],
    });
    expect(leaves.map((a) => a.actionType)).toEqual([
      Action.CreateTimer,
      Action.CallActivity,
      Action.WaitForExternalEvent,
    ]);
  });

  test.each([
    ['the error in the SDK state embedded in the message', new Error('x $OutOfProcData$:{"error":"boom"}'), 'boom'],
    ['the message when the embedded state does not parse', new Error('x $OutOfProcData$:{'), 'x $OutOfProcData$:{'],
    ['the message of a plain error', new Error('plain'), 'plain'],
    ['a thrown string', 'text', 'text'],
  ])('an orchestrator failure reports %s', (_what, error, expected) => {
    expect(orchestratorFailureMessage('Main', error)).toBe(`Orchestrator function 'Main' failed: ${expected}`);
  });

  test.each([
    ['json', { json: '{"a":1}' }, '{"a":1}'],
    ['a string', { string: 'hi' }, '"hi"'],
    ['an int', { int: 3 }, '3'],
    ['a double', { double: 1.5 }, '1.5'],
    ['bytes', { bytes: new Uint8Array([1, 2]) }, '"AQI="'],
    ['nothing', undefined, 'null'],
  ])('an activity returning %s is recorded as its JSON text', (_what, value, expected) => {
    expect(activityResultText(value)).toBe(expected);
  });
});
