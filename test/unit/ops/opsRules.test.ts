import { checkConsistency } from '../../../shared/ops/consistency';
import type { InstanceStatus } from '../../../shared/ops/opsOrchestrations';
import { hourlyBuckets, percentile } from '../../../shared/ops/summary';
import { COUNTERS, observationsOf } from '../../../shared/telemetry/metrics';
import { EXPIRES, after, requestIn, shift } from '../../support/builders';

const running = (status: string, runtimeStatus = 'Running'): InstanceStatus => ({
  instanceId: 'req-1',
  name: 'approvalOrchestrator',
  runtimeStatus,
  customStatus: { status },
  createdTime: after(0),
  lastUpdatedTime: after(0),
});

describe('checkConsistency', () => {
  const open = requestIn('needsApproval');
  const at = (iso: string) => new Date(iso);

  it('accepts an open request whose orchestration runs and shows its status, and any closed request', () => {
    expect(checkConsistency(open, running('needsApproval'), at(after(5)))).toEqual({ consistent: true });
    expect(checkConsistency(requestIn('completed'), undefined, at(after(5)))).toEqual({ consistent: true });
  });

  it.each([
    ['orchestration_missing', undefined],
    ['orchestration_failed', running('needsApproval', 'Failed')],
    ['orchestration_terminated', running('needsApproval', 'Terminated')],
    ['orchestration_finished_early', running('needsApproval', 'Completed')],
  ])('flags %s for an open request', (code, instance) => {
    expect(checkConsistency(open, instance, at(after(5)))).toMatchObject({ consistent: false, code });
  });

  it('flags a status disagreement only after a minute, and an open request five minutes past expiry', () => {
    expect(checkConsistency(open, running('approved'), at(after(0.5)))).toEqual({ consistent: true });
    expect(checkConsistency(open, running('approved'), at(after(2)))).toMatchObject({ code: 'status_disagrees' });
    expect(checkConsistency(open, running('needsApproval'), at(shift(EXPIRES, 60_000)))).toEqual({ consistent: true });
    expect(checkConsistency(open, running('needsApproval'), at(shift(EXPIRES, 6 * 60_000)))).toMatchObject({
      code: 'overdue',
    });
  });
});

describe('summary arithmetic', () => {
  it('puts events in 24 hourly buckets ending with the current hour, dropping older ones', () => {
    const now = new Date('2024-03-02T10:30:00.000Z');
    const buckets = hourlyBuckets(
      {
        submitted: [
          '2024-03-02T10:01:00.000Z',
          '2024-03-02T10:59:00.000Z',
          '2024-03-01T11:00:00.000Z',
          '2024-03-01T10:59:59.000Z',
        ],
        decided: [{ at: '2024-03-02T09:00:00.000Z', createdAt: '2024-03-02T08:00:00.000Z' }],
        completed: [],
      },
      now,
    );
    expect(buckets).toHaveLength(24);
    expect(buckets[0]).toMatchObject({ hour: '2024-03-01T11:00:00.000Z', submitted: 1 });
    expect(buckets[23]).toMatchObject({ hour: '2024-03-02T10:00:00.000Z', submitted: 2 });
    expect(buckets[22]).toMatchObject({ decided: 1 });
    expect(buckets.reduce((sum, b) => sum + b.submitted, 0)).toBe(3);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([30, 10, 20], 0.5)).toBe(20);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
  });
});

describe('observationsOf', () => {
  it('counts submitted, decided (with latency), completed, expired and failed executions', () => {
    const createdAt = after(0);
    expect(
      observationsOf(
        [
          { type: 'request.submitted', at: after(0), data: {} },
          { type: 'request.approved', at: after(3), data: {} },
          { type: 'request.statusChanged', at: after(3), data: { from: 'needsApproval', to: 'approved' } },
          { type: 'request.statusChanged', at: after(4), data: { from: 'approved', to: 'completed' } },
          { type: 'request.completed', at: after(4), data: {} },
          { type: 'execution.failed', at: after(5), data: {} },
          { type: 'request.expired', at: after(6), data: {} },
        ],
        createdAt,
      ),
    ).toEqual([
      { counter: COUNTERS.submitted },
      { counter: COUNTERS.decided },
      { latencyMs: 180_000 },
      { counter: COUNTERS.completed },
      { counter: COUNTERS.failed },
      { counter: COUNTERS.expired },
    ]);
  });
});
