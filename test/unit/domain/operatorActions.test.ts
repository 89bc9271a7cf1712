import { applyCommand } from '../../../shared/domain/lifecycle';
import { REQUEST_STATUSES } from '../../../shared/domain/model';
import {
  isUnstarted,
  operatorCancel,
  recordRedrive,
  requestRedrive,
  startUnstarted,
  type OperatorAction,
} from '../../../shared/domain/operatorActions';
import {
  EXPIRES,
  accessPolicy,
  after,
  alice,
  approve,
  bob,
  deepFreeze,
  newRequest,
  oscar,
  refusal,
  requestIn,
  run,
  shift,
} from '../../support/builders';

const OPERATOR = ['MAA.Operator'];
const action = (overrides: Partial<OperatorAction> = {}): OperatorAction => ({
  actor: oscar,
  actorRoles: OPERATOR,
  reason: 'orchestration stuck (INC-1)',
  at: after(5),
  ...overrides,
});

function failedExecution() {
  return applyCommand(requestIn('completed'), {
    kind: 'recordExecution',
    execution: { status: 'failed', at: after(3), detail: 'webhook answered 400' },
  }).request;
}

describe('operatorCancel', () => {
  it.each(['needsApproval', 'approved'] as const)(
    'cancels a %s request, recording the operator and reason',
    (status) => {
      const request = deepFreeze(requestIn(status));
      const { request: next, events } = operatorCancel(request, action());
      expect(next).toMatchObject({
        status: 'cancelled',
        cancellation: { by: oscar, reason: 'orchestration stuck (INC-1)', at: after(5) },
        lastModifiedAt: after(5),
      });
      expect(events.map((e) => [e.type, e.actor, e.data])).toEqual([
        ['request.cancelled', oscar, { from: status, source: 'operator', reason: 'orchestration stuck (INC-1)' }],
        ['request.statusChanged', oscar, { from: status, to: 'cancelled' }],
      ]);
    },
  );

  it('cancels an open request past its expiry (its orchestration never expired it)', () => {
    expect(operatorCancel(requestIn('needsApproval'), action({ at: shift(EXPIRES, 3_600_000) })).request.status).toBe(
      'cancelled',
    );
  });

  it.each(REQUEST_STATUSES.filter((s) => s !== 'needsApproval' && s !== 'approved'))(
    'refuses a %s request with invalid_state',
    (status) => {
      expect(refusal(() => operatorCancel(requestIn(status), action()))).toBe('invalid_state');
    },
  );

  it('refuses non-operators and blank reasons', () => {
    expect(
      refusal(() => operatorCancel(requestIn('approved'), action({ actor: alice, actorRoles: ['MAA.Requester'] }))),
    ).toBe('forbidden');
    expect(refusal(() => operatorCancel(requestIn('approved'), action({ reason: '  ' })))).toBe('invalid_request');
  });
});

describe('isUnstarted and startUnstarted', () => {
  it('starts a request exactly as submitted, auditing the operator and reason', () => {
    const request = deepFreeze(requestIn('needsApproval'));
    expect(isUnstarted(request)).toBe(true);
    const started = startUnstarted(request, action());
    expect([started.type, started.actor, started.data, started.at, started.requestId]).toEqual([
      'request.orchestrationStarted',
      oscar,
      { reason: 'orchestration stuck (INC-1)' },
      after(5),
      request.id,
    ]);
  });

  it('refuses a request that has moved on (a decision, or any other status), non-operators and blank reasons', () => {
    // One approval of two: still needsApproval, but no longer as submitted.
    const decided = run(newRequest({ policy: accessPolicy({ requiredApprovals: 2 }) }), approve(bob));
    for (const request of [
      decided,
      ...REQUEST_STATUSES.filter((s) => s !== 'needsApproval').map((status) => requestIn(status)),
    ]) {
      expect([request.status, isUnstarted(request)]).toEqual([request.status, false]);
      expect(refusal(() => startUnstarted(request, action()))).toBe('invalid_state');
    }
    expect(refusal(() => startUnstarted(requestIn('needsApproval'), action({ actorRoles: ['MAA.Approver'] })))).toBe(
      'forbidden',
    );
    expect(refusal(() => startUnstarted(requestIn('needsApproval'), action({ reason: ' ' })))).toBe('invalid_request');
  });
});

describe('requestRedrive and recordRedrive', () => {
  it('claims re-drive 1 of a failed execution, then records its outcome', () => {
    const failed = deepFreeze(failedExecution());
    const claimed = requestRedrive(failed, action());
    expect(claimed.request.redrive).toEqual({
      number: 1,
      by: oscar,
      reason: 'orchestration stuck (INC-1)',
      at: after(5),
      running: true,
    });
    expect(claimed.request.status).toBe('completed');
    expect(claimed.events.map((e) => [e.type, e.data])).toEqual([
      [
        'execution.redriveRequested',
        { redrive: 1, reason: 'orchestration stuck (INC-1)', previous: 'webhook answered 400' },
      ],
    ]);

    const done = recordRedrive(deepFreeze(claimed.request), 1, {
      status: 'succeeded',
      at: after(6),
      detail: 'webhook answered 200',
    });
    expect(done.request).toMatchObject({
      execution: { status: 'succeeded', detail: 'webhook answered 200' },
      redrive: { number: 1, running: false },
    });
    expect(done.events.map((e) => [e.type, e.data.redrive])).toEqual([['execution.succeeded', 1]]);
    // Succeeded: nothing left to re-drive.
    expect(refusal(() => requestRedrive(done.request, action()))).toBe('invalid_state');
  });

  it("keeps the re-drive's code and Graph calls and audits them like a first execution's", () => {
    const claimed = requestRedrive(failedExecution(), action()).request;
    const graph = {
      clientRequestId: 'crid-1',
      calls: [
        { method: 'POST' as const, path: '/v1.0/deviceManagement/managedDevices/d1/wipe', status: 204, at: after(6) },
      ],
    };

    const done = recordRedrive(claimed, 1, {
      status: 'succeeded',
      at: after(6),
      detail: 'accepted',
      code: 'accepted',
      graph,
    });

    expect(done.request.execution).toEqual({
      status: 'succeeded',
      at: after(6),
      detail: 'accepted',
      code: 'accepted',
      graph,
    });
    expect(done.events.map((e) => e.data)).toEqual([
      {
        operationHash: claimed.operationHash,
        detail: 'accepted',
        code: 'accepted',
        clientRequestId: 'crid-1',
        calls: graph.calls,
        redrive: 1,
      },
    ]);
  });

  it('numbers a second re-drive after a failed first one, and refuses one while another runs', () => {
    const claimed = requestRedrive(failedExecution(), action()).request;
    expect(refusal(() => requestRedrive(claimed, action()))).toBe('invalid_state');
    const failedAgain = recordRedrive(claimed, 1, {
      status: 'failed',
      at: after(6),
      detail: 'webhook answered 400',
    }).request;
    expect(requestRedrive(failedAgain, action({ at: after(7) })).request.redrive?.number).toBe(2);
  });

  it('refuses requests without a failed execution, and outcomes of a re-drive that is not running', () => {
    for (const status of REQUEST_STATUSES)
      expect(refusal(() => requestRedrive(requestIn(status), action()))).toBe('invalid_state');
    const claimed = requestRedrive(failedExecution(), action()).request;
    expect(refusal(() => recordRedrive(claimed, 2, { status: 'succeeded', at: after(6), detail: 'ok' }))).toBe(
      'invalid_state',
    );
    const done = recordRedrive(claimed, 1, { status: 'succeeded', at: after(6), detail: 'ok' }).request;
    expect(refusal(() => recordRedrive(done, 1, { status: 'succeeded', at: after(6), detail: 'ok' }))).toBe(
      'invalid_state',
    );
    expect(refusal(() => requestRedrive(failedExecution(), action({ actorRoles: ['MAA.Approver'] })))).toBe(
      'forbidden',
    );
  });
});
