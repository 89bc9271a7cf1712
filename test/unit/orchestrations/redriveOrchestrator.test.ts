import type { RecordObservationInput, RecordRedriveInput, RedriveInput } from '../../../orchestrations/contracts';
import { Activities } from '../../../orchestrations/names';
import { redriveOrchestrator } from '../../../orchestrations/redriveOrchestrator';
import type { Execution } from '../../../shared/domain/model';
import { T0, newRequest, shift } from '../../support/builders';
import { FakeOrchestration, type ActivityHandler } from '../../support/fakeOrchestrationContext';

jest.mock('durable-functions', () => {
  const actual = jest.requireActual<typeof import('durable-functions')>('durable-functions');
  // Loading the orchestrator registers it; registering needs the Functions host, which a unit test has not.
  return { ...actual, app: { ...actual.app, orchestration: () => undefined } };
});

const { executeOperation, recordRedrive, observeExecution, recordObservation } = Activities;
const MINUTE = 60_000;

function redrive(handlers: Record<string, ActivityHandler>) {
  const input: RedriveInput = { request: newRequest(), number: 2, correlationId: 'corr-9' };
  const fake = new FakeOrchestration(input, {
    start: T0,
    handlers: { [recordRedrive]: () => undefined, [recordObservation]: () => undefined, ...handlers },
  });
  const output = fake.run(redriveOrchestrator) as Execution;
  return { fake, output };
}

describe('redriveOrchestrator', () => {
  it('records the re-drive, then follows an accepted device action up and records its outcome once', () => {
    let observed = 0;
    const { fake, output } = redrive({
      [executeOperation]: () => ({
        status: 'succeeded',
        at: T0,
        detail: 'Graph accepted the wipe',
        followUp: { everyMs: 5 * MINUTE, until: shift(T0, 60 * MINUTE) },
      }),
      [observeExecution]: (_, call) => ({
        state: ++observed < 2 ? 'pending' : 'done',
        at: call.at,
        detail: `observation ${observed}`,
      }),
    });

    expect(fake.activityNames).toEqual([
      executeOperation,
      recordRedrive,
      observeExecution,
      observeExecution,
      recordObservation,
    ]);
    const recorded = fake.activities.find((call) => call.name === recordRedrive)!.input as RecordRedriveInput;
    expect(recorded.execution).toEqual({ status: 'succeeded', at: T0, detail: 'Graph accepted the wipe' });
    expect(fake.activities.at(-1)!.input).toEqual<RecordObservationInput>({
      requestId: 'req-1',
      number: 2,
      outcome: { state: 'done', at: shift(T0, 10 * MINUTE), detail: 'observation 2' },
      correlationId: 'corr-9',
    });
    expect(output).toEqual(recorded.execution);
  });

  it('observes nothing when the re-drive failed', () => {
    const { fake } = redrive({
      [executeOperation]: () => ({ status: 'failed', at: T0, detail: 'graph_forbidden', code: 'graph_forbidden' }),
    });
    expect(fake.activityNames).toEqual([executeOperation, recordRedrive]);
  });
});
