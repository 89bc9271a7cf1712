import { DomainError } from '../../../shared/domain/errors';
import { applyCommand, createRequest, executionAuditData, submittedEvent } from '../../../shared/domain/lifecycle';
import type { ApprovalRequest, DeviceExecution, TargetSnapshot } from '../../../shared/domain/model';
import { alice, after, approve, bob, run, submission, T0 } from '../../support/builders';

const D1 = 'B0000000-0000-4000-8000-000000000001';
const D2 = 'b0000000-0000-4000-8000-000000000002';

function snapshot(id: string): TargetSnapshot {
  return {
    resourceType: 'managedDevice',
    id,
    displayName: `LT-${id.slice(-1)}`,
    readAt: T0,
    fingerprint: 'f'.repeat(64),
  };
}

const bulkOperation = (resourceIds: string[]) => ({ action: 'retire', resourceType: 'managedDevice', resourceIds });

function refusalOf(build: () => unknown): DomainError {
  try {
    build();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('a bulk request', () => {
  it('stores its device ids normalised, hashes them, keeps each snapshot in order and audits them', () => {
    const request = createRequest(
      submission({ operation: bulkOperation([D1, D2]), targets: [snapshot(D1), snapshot(D2)] }),
    );
    expect(request.operation.resourceIds).toEqual([D1.toLowerCase(), D2]);
    expect(request.targets?.map((target) => target.id)).toEqual([D1, D2]);
    expect(request.target).toBeUndefined();
    const other = createRequest(submission({ operation: bulkOperation([D2, D1]) }));
    expect(other.operationHash).not.toBe(request.operationHash);
    expect(submittedEvent(request).data.targets).toHaveLength(2);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['no device', { resourceIds: [] }, ['operation.resourceIds']],
    ['over 100 devices', { resourceIds: Array.from({ length: 101 }, (_, n) => `d-${n}`) }, ['operation.resourceIds']],
    ['a device twice', { resourceIds: [D1, D1.toLowerCase()] }, ['operation.resourceIds.1']],
    ['both id fields', { resourceId: D1, resourceIds: [D2] }, ['operation.resourceId']],
    ['an empty id', { resourceIds: [D1, ''] }, ['operation.resourceIds.1']],
  ])('is refused with invalid_request for %s', (_, ids, paths) => {
    const error = refusalOf(() =>
      createRequest(submission({ operation: { action: 'retire', resourceType: 'managedDevice', ...ids } })),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.errors?.map((one) => one.path)).toEqual(paths);
  });

  it('refuses a device id that could mislead its reviewers', () => {
    const error = refusalOf(() => createRequest(submission({ operation: bulkOperation([D1, 'd\u202e-2']) })));
    expect(error.errors?.map((one) => one.path)).toEqual(['operation.resourceIds.1']);
  });

  describe('its execution and observation', () => {
    const devices: DeviceExecution[] = [
      { resourceId: D1, status: 'succeeded', code: 'accepted', detail: 'ok' },
      { resourceId: D2, status: 'failed', code: 'target_changed', detail: 'renamed' },
    ];
    function executed(): ApprovalRequest {
      const completed = run(createRequest(submission({ operation: bulkOperation([D1, D2]) })), approve(bob), {
        kind: 'complete',
        actor: alice,
        actorRoles: ['MAA.Requester'],
        at: after(2),
      });
      return applyCommand(completed, {
        kind: 'recordExecution',
        execution: { status: 'failed', at: after(3), detail: '1 of 2', code: 'partially_applied', devices },
      }).request;
    }

    it('records each device outcome and audits its code', () => {
      const request = executed();
      expect(request.execution?.devices).toEqual(devices);
      expect(executionAuditData(request.execution!).devices).toEqual([
        { resourceId: D1, status: 'succeeded', code: 'accepted', detail: 'ok' },
        { resourceId: D2, status: 'failed', code: 'target_changed', detail: 'renamed' },
      ]);
    });

    it('observes a partially applied one: each observed device and the summary, once', () => {
      const outcome = { state: 'done' as const, at: after(10), detail: '1 device(s) observed: 1 done' };
      const { request, events } = applyCommand(executed(), {
        kind: 'recordObservation',
        outcome,
        devices: [{ resourceId: D1, outcome: { state: 'done', at: after(10), detail: 'retire done' } }],
      });
      expect(request.execution?.device).toEqual(outcome);
      expect(request.execution?.devices?.[0]?.device).toEqual({ state: 'done', at: after(10), detail: 'retire done' });
      expect(request.execution?.devices?.[1]?.device).toBeUndefined();
      expect(events[0]).toMatchObject({
        type: 'execution.observed',
        data: { state: 'done', devices: [{ resourceId: D1, state: 'done', detail: 'retire done' }] },
      });
      expect(refusalOf(() => applyCommand(request, { kind: 'recordObservation', outcome })).code).toBe('invalid_state');
    });

    it('refuses an observation of a device that is not the request’s', () => {
      const error = refusalOf(() =>
        applyCommand(executed(), {
          kind: 'recordObservation',
          outcome: { state: 'done', at: after(10), detail: 'x' },
          devices: [{ resourceId: 'someone-else', outcome: { state: 'done', at: after(10), detail: 'x' } }],
        }),
      );
      expect(error.code).toBe('invalid_request');
    });
  });
});
