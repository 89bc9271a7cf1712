import { longPollRoute, nextInterval, waitOutcome } from '../../../cli/commands/wait';
import { ExitCode } from '../../../cli/exitCodes';

const base = {
  id: 'r-1',
  profileType: 'deviceWipe' as const,
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: 'laptop-1' },
  operationHash: '0'.repeat(64),
  justification: 'stolen',
  initiator: { id: 'a', displayName: 'Alice' },
  policy: { id: 'p', version: 1, approverGroupIds: ['g'], requiredApprovals: 1 },
  decisions: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-31T00:00:00.000Z',
  lastModifiedAt: '2026-01-01T00:00:00.000Z',
};
const at = '2026-01-02T00:00:00.000Z';

describe('waitOutcome', () => {
  it.each([
    ['needsApproval', 'approved', undefined],
    ['needsApproval', 'completed', undefined],
    ['approved', 'approved', ExitCode.ok],
    ['approved', 'completed', undefined],
    ['rejected', 'approved', ExitCode.rejected],
    ['rejected', 'completed', ExitCode.rejected],
    ['expired', 'approved', ExitCode.expired],
    ['cancelled', 'completed', ExitCode.cancelled],
  ] as const)('%s, waiting for %s: %p', (status, target, code) => {
    const outcome = waitOutcome({ ...base, status }, target);
    expect(outcome.done ? outcome.code : undefined).toBe(code);
  });

  it('counts completed as approved, and as completed only once the execution outcome is recorded', () => {
    const completed = { ...base, status: 'completed' as const, completedAt: at };
    expect(waitOutcome(completed, 'approved')).toMatchObject({ done: true, code: ExitCode.ok });
    expect(waitOutcome(completed, 'completed')).toEqual({ done: false });
    expect(
      waitOutcome({ ...completed, execution: { status: 'succeeded', at, detail: 'done' } }, 'completed'),
    ).toMatchObject({ done: true, code: ExitCode.ok });
    expect(
      waitOutcome({ ...completed, execution: { status: 'failed', at, detail: 'webhook answered 400' } }, 'completed'),
    ).toEqual({
      done: true,
      code: ExitCode.executionFailed,
      message: 'r-1 is completed but its execution failed: webhook answered 400',
    });
  });

  it('names who rejected and why', () => {
    const rejected = {
      ...base,
      status: 'rejected' as const,
      decisions: [
        {
          approver: { id: 'b', displayName: 'Bob' },
          decision: 'reject' as const,
          notes: 'no ticket',
          at,
          source: 'api' as const,
        },
      ],
    };
    expect(waitOutcome(rejected, 'approved')).toMatchObject({ message: 'r-1 was rejected by Bob: no ticket' });
  });
});

describe('nextInterval', () => {
  it('grows by half up to 30 s, or up to the interval when that is longer', () => {
    const pauses = [2_000];
    while (pauses.length < 12) pauses.push(nextInterval(pauses[pauses.length - 1]!, 2_000));
    expect(pauses.slice(0, 4)).toEqual([2_000, 3_000, 4_500, 6_750]);
    expect(pauses[pauses.length - 1]).toBe(30_000);
    expect(nextInterval(60_000, 60_000)).toBe(60_000);
  });
});

describe('longPollRoute', () => {
  it.each([
    ['approved', 600_000, 'requests/r-1?waitFor=approved&timeout=PT25S'],
    ['completed', 600_000, 'requests/r-1?waitFor=executed&timeout=PT25S'],
    ['approved', 3_200, 'requests/r-1?waitFor=approved&timeout=PT4S'],
    ['approved', 10, 'requests/r-1?waitFor=approved&timeout=PT1S'],
  ] as const)(
    'asks for %s with %i ms left as %s (under the 30 s call timeout, whole seconds)',
    (target, left, route) => {
      expect(longPollRoute('r-1', target, left)).toBe(route);
    },
  );
});
