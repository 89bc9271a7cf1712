import type { DomainErrorCode } from '../../../shared/domain/errors';
import {
  TRANSITIONS,
  applyCommand,
  effectiveStatus,
  executionRefusal,
  isEligibleApprover,
  isValidTransition,
  mayView,
  type Command,
  type CommandKind,
} from '../../../shared/domain/lifecycle';
import { REQUEST_STATUSES, type ApprovalRequest, type RequestStatus } from '../../../shared/domain/model';
import {
  APPROVER,
  EXPIRES,
  GROUP_A,
  GROUP_B,
  GROUP_OTHER,
  REQUESTER,
  accessPolicy,
  after,
  alice,
  approve,
  bob,
  carol,
  dave,
  deepFreeze,
  erin,
  newRequest,
  oscar,
  refusal,
  reject,
  requestIn,
  run,
  shift,
} from '../../support/builders';

/** One valid-looking command of each kind, issued by whoever may issue it, before expiry (expire: at expiry). */
const commands: Record<CommandKind, Command> = {
  decide: approve(carol, after(10)),
  cancel: { kind: 'cancel', actor: alice, at: after(10) },
  complete: { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: after(10) },
  // The default policy is completed by its initiator: the service never completes it.
  autoComplete: { kind: 'autoComplete', initiatorRoles: REQUESTER, at: after(10) },
  expire: { kind: 'expire', at: EXPIRES },
  recordExecution: {
    kind: 'recordExecution',
    execution: { status: 'succeeded', at: after(10), detail: 'wipe issued' },
  },
  recordObservation: {
    kind: 'recordObservation',
    outcome: { state: 'done', at: after(10), detail: 'the device confirmed the wipe' },
  },
};

type Outcome = { to: RequestStatus } | { refused: DomainErrorCode };
const to = (status: RequestStatus): Outcome => ({ to: status });
const refused = (code: DomainErrorCode): Outcome => ({ refused: code });

const matrix: Record<RequestStatus, Record<CommandKind, Outcome>> = {
  needsApproval: {
    decide: to('approved'),
    cancel: to('cancelled'),
    complete: refused('invalid_state'),
    autoComplete: refused('invalid_state'),
    expire: to('expired'),
    recordExecution: refused('invalid_state'),
    recordObservation: refused('invalid_state'),
  },
  approved: {
    decide: refused('invalid_state'),
    cancel: to('cancelled'),
    complete: to('completed'),
    autoComplete: refused('invalid_state'),
    expire: to('expired'),
    recordExecution: refused('invalid_state'),
    recordObservation: refused('invalid_state'),
  },
  rejected: {
    decide: refused('invalid_state'),
    cancel: refused('invalid_state'),
    complete: refused('invalid_state'),
    autoComplete: refused('invalid_state'),
    expire: refused('invalid_state'),
    recordExecution: refused('invalid_state'),
    recordObservation: refused('invalid_state'),
  },
  cancelled: {
    decide: refused('invalid_state'),
    cancel: refused('invalid_state'),
    complete: refused('invalid_state'),
    autoComplete: refused('invalid_state'),
    expire: refused('invalid_state'),
    recordExecution: refused('invalid_state'),
    recordObservation: refused('invalid_state'),
  },
  completed: {
    decide: refused('invalid_state'),
    cancel: refused('invalid_state'),
    complete: refused('invalid_state'),
    autoComplete: refused('invalid_state'),
    expire: refused('invalid_state'),
    recordExecution: to('completed'),
    recordObservation: refused('invalid_state'),
  },
  expired: {
    decide: refused('expired'),
    cancel: refused('expired'),
    complete: refused('expired'),
    autoComplete: refused('invalid_state'),
    expire: refused('invalid_state'),
    recordExecution: refused('invalid_state'),
    recordObservation: refused('invalid_state'),
  },
};

const cases = REQUEST_STATUSES.flatMap((status) =>
  (Object.keys(commands) as CommandKind[]).map((kind) => [status, kind, matrix[status][kind]] as const),
);

describe('applyCommand: every command from every status', () => {
  it('covers 6 statuses x 7 commands', () => {
    expect(cases).toHaveLength(42);
  });

  it.each(cases)('from %s, %s gives %o', (status, kind, outcome) => {
    const before = deepFreeze(requestIn(status));
    expect(before.status).toBe(status);
    if ('refused' in outcome) {
      expect(refusal(() => applyCommand(before, commands[kind]))).toBe(outcome.refused);
      return;
    }
    const { request, events } = applyCommand(before, commands[kind]);
    expect(request.status).toBe(outcome.to);
    expect(request).not.toBe(before);
    const statusEvents = events.filter((event) => event.type === 'request.statusChanged');
    if (outcome.to === status) {
      expect(statusEvents).toHaveLength(0);
    } else {
      expect(isValidTransition(status, outcome.to)).toBe(true);
      expect(statusEvents).toEqual([
        expect.objectContaining({ requestId: 'req-1', data: { from: status, to: outcome.to } }),
      ]);
      expect(events.at(-1)?.type).toBe('request.statusChanged');
    }
  });
});

describe('TRANSITIONS', () => {
  const allowed = new Set([
    'needsApproval>approved',
    'needsApproval>rejected',
    'needsApproval>cancelled',
    'needsApproval>expired',
    'approved>cancelled',
    'approved>completed',
    'approved>expired',
  ]);
  const pairs = REQUEST_STATUSES.flatMap((from) =>
    REQUEST_STATUSES.map((target) => [from, target, allowed.has(`${from}>${target}`)] as const),
  );

  it.each(pairs)('%s -> %s allowed: %s', (from, target, expected) => {
    expect(isValidTransition(from, target)).toBe(expected);
    expect(TRANSITIONS[from].includes(target)).toBe(expected);
  });
});

describe('quorum', () => {
  it.each([
    [1, [bob], ['approved']],
    [2, [bob, carol], ['needsApproval', 'approved']],
    [3, [bob, carol, dave], ['needsApproval', 'needsApproval', 'approved']],
  ])(
    'with requiredApprovals %i, distinct approvals move it to approved only on the last',
    (requiredApprovals, approvers, statuses) => {
      let request = newRequest({ policy: accessPolicy({ requiredApprovals }) });
      const seen: RequestStatus[] = [];
      approvers.forEach((approver, index) => {
        const result = applyCommand(request, approve(approver, after(index + 1)));
        request = result.request;
        seen.push(request.status);
        expect(result.events[0]).toMatchObject({
          type: 'request.approved',
          actor: approver,
          data: { approvals: index + 1, requiredApprovals },
        });
      });
      expect(seen).toEqual(statuses);
      expect(request.decisions.map((decision) => decision.approver.id)).toEqual(
        approvers.map((approver) => approver.id),
      );
    },
  );

  it.each<[string, RequestStatus, Command]>([
    ['approves twice while the quorum is open', 'needsApproval', approve(bob, after(2))],
    ['rejects after approving', 'needsApproval', reject(bob, 'changed my mind', after(2))],
  ])('refuses an approver who %s with already_decided', (_, status, second) => {
    const request = run(newRequest({ policy: accessPolicy({ requiredApprovals: 2 }) }), approve(bob));
    expect(request.status).toBe(status);
    expect(refusal(() => applyCommand(request, second))).toBe('already_decided');
  });

  it('refuses a repeated decision with already_decided after the request is approved', () => {
    expect(refusal(() => applyCommand(requestIn('approved'), approve(bob, after(5))))).toBe('already_decided');
  });

  it.each([1, 2])('ends the request as rejected when someone rejects after %i of 3 approvals', (approvals) => {
    const approvers = [bob, carol].slice(0, approvals);
    const partial = run(
      newRequest({ policy: accessPolicy({ requiredApprovals: 3 }) }),
      ...approvers.map((approver) => approve(approver)),
    );
    const { request, events } = applyCommand(partial, reject(dave, 'Wrong device.', after(5)));
    expect(request.status).toBe('rejected');
    expect(events.map((event) => event.type)).toEqual(['request.rejected', 'request.statusChanged']);
    expect(events[0]).toMatchObject({ actor: dave, data: { notes: 'Wrong device.', source: 'api' } });
    expect(request.decisions.at(-1)).toMatchObject({
      approver: dave,
      decision: 'reject',
      notes: 'Wrong device.',
      at: after(5),
    });
  });

  it.each(['', '   ', undefined])('refuses a rejection with notes %p as notes_required', (notes) => {
    const command: Command = {
      kind: 'decide',
      actor: bob,
      actorRoles: APPROVER,
      actorGroupIds: [GROUP_A],
      decision: 'reject',
      source: 'link',
      at: after(1),
      notes,
    };
    expect(refusal(() => applyCommand(newRequest(), command))).toBe('notes_required');
  });

  it('accepts an approval without notes and records the source', () => {
    const command: Command = {
      kind: 'decide',
      actor: bob,
      actorRoles: APPROVER,
      actorGroupIds: [GROUP_B],
      decision: 'approve',
      source: 'link',
      at: after(1),
    };
    const { request } = applyCommand(newRequest(), command);
    expect(request.decisions).toEqual([
      { approver: bob, decision: 'approve', notes: '', at: after(1), source: 'link' },
    ]);
  });

  it.each(['approve', 'reject'] as const)(
    'keeps the link of a decision (%s) made through one, in the decision and its audit record',
    (decision) => {
      const command: Command = {
        kind: 'decide',
        actor: bob,
        actorRoles: APPROVER,
        actorGroupIds: [GROUP_B],
        decision,
        notes: 'seen',
        source: 'link',
        linkId: 'link-0123456789abcdef',
        at: after(1),
      };
      const { request, events } = applyCommand(newRequest(), command);
      expect(request.decisions).toEqual([
        { approver: bob, decision, notes: 'seen', at: after(1), source: 'link', linkId: 'link-0123456789abcdef' },
      ]);
      expect(events[0]!.data).toMatchObject({ source: 'link', linkId: 'link-0123456789abcdef' });
    },
  );

  it('refuses a link id on a decision that did not come through a link', () => {
    const command: Command = {
      kind: 'decide',
      actor: bob,
      actorRoles: APPROVER,
      actorGroupIds: [GROUP_B],
      decision: 'approve',
      source: 'api',
      linkId: 'link-0123456789abcdef',
      at: after(1),
    };
    expect(refusal(() => applyCommand(newRequest(), command))).toBe('invalid_request');
  });
});

describe('who may decide', () => {
  it.each<[string, Command, DomainErrorCode]>([
    [
      'the initiator approving, even in an approver group with the role',
      approve(alice, after(1), [GROUP_A], ['MAA.Approver', 'MAA.Requester']),
      'self_approval',
    ],
    ['the initiator rejecting their own request', reject(alice, 'never mind', after(1), [GROUP_A]), 'self_approval'],
    [
      'the initiator holding every role',
      approve(alice, after(1), [GROUP_A, GROUP_B], ['MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator']),
      'self_approval',
    ],
    ['a group member without MAA.Approver', approve(bob, after(1), [GROUP_A], ['MAA.Requester']), 'forbidden'],
    ['a PolicyAdmin without MAA.Approver', approve(bob, after(1), [GROUP_A], ['MAA.PolicyAdmin']), 'forbidden'],
    ['an approver in no approver group', approve(erin, after(1), [GROUP_OTHER]), 'not_an_approver'],
    ['an approver in no group at all', approve(erin, after(1), []), 'not_an_approver'],
    [
      'an operator outside the groups',
      approve(oscar, after(1), [], ['MAA.Operator', 'MAA.Approver']),
      'not_an_approver',
    ],
  ])('refuses %s', (_, command, code) => {
    expect(refusal(() => applyCommand(newRequest(), command))).toBe(code);
  });

  it.each([
    ['the first group', [GROUP_A]],
    ['the second group', [GROUP_B]],
    ['an upper-cased group id', [GROUP_B.toUpperCase()]],
    ['a group among others', [GROUP_OTHER, GROUP_A]],
  ])('accepts a member of %s', (_, groupIds) => {
    expect(applyCommand(newRequest(), approve(bob, after(1), groupIds)).request.status).toBe('approved');
  });

  it('judges by the snapshot, not by the policy as it is now', () => {
    const policy = accessPolicy();
    const request = newRequest({ policy });
    policy.approverGroupIds = [GROUP_OTHER];
    policy.requiredApprovals = 3;
    expect(request.policy).toEqual({
      id: policy.id,
      version: 1,
      approverGroupIds: [GROUP_A, GROUP_B],
      requiredApprovals: 1,
    });
    expect(applyCommand(request, approve(bob, after(1), [GROUP_A])).request.status).toBe('approved');
    expect(refusal(() => applyCommand(request, approve(carol, after(1), [GROUP_OTHER])))).toBe('not_an_approver');
  });
});

describe('initiator-only commands', () => {
  it.each<[string, RequestStatus, Command]>([
    ['cancel a pending request', 'needsApproval', { kind: 'cancel', actor: bob, at: after(5) }],
    ['cancel an approved request', 'approved', { kind: 'cancel', actor: bob, at: after(5) }],
    ['complete an approved request', 'approved', { kind: 'complete', actor: bob, actorRoles: REQUESTER, at: after(5) }],
    ['complete it as an operator', 'approved', { kind: 'complete', actor: oscar, actorRoles: REQUESTER, at: after(5) }],
  ])('refuses anyone but the initiator who tries to %s', (_, status, command) => {
    expect(refusal(() => applyCommand(requestIn(status), command))).toBe('not_initiator');
  });

  it('completes an approved request, stamping completedAt and the approved hash', () => {
    const approved = requestIn('approved');
    const { request, events } = applyCommand(approved, {
      kind: 'complete',
      actor: alice,
      actorRoles: REQUESTER,
      at: '2024-03-02T11:00:00+01:00',
    });
    expect(request).toMatchObject({
      status: 'completed',
      completedAt: '2024-03-02T10:00:00.000Z',
      lastModifiedAt: '2024-03-02T10:00:00.000Z',
    });
    expect(events).toEqual([
      {
        requestId: 'req-1',
        type: 'request.completed',
        at: '2024-03-02T10:00:00.000Z',
        actor: alice,
        data: { operationHash: approved.operationHash },
      },
      {
        requestId: 'req-1',
        type: 'request.statusChanged',
        at: '2024-03-02T10:00:00.000Z',
        actor: alice,
        data: { from: 'approved', to: 'completed' },
      },
    ]);
  });

  it.each<[string, string[]]>([
    ['no roles at all', []],
    ['only MAA.Approver', ['MAA.Approver']],
  ])('refuses the initiator who holds %s now to complete, as forbidden, and changes nothing', (_, roles) => {
    const approved = deepFreeze(requestIn('approved'));
    expect(
      refusal(() => applyCommand(approved, { kind: 'complete', actor: alice, actorRoles: roles, at: after(5) })),
    ).toBe('forbidden');
  });

  it('needs MAA.PolicyAdmin as well to complete a policy change, as to submit one', () => {
    const policyChange = run(
      newRequest({
        profileType: 'operationApprovalPolicy',
        initiatorRoles: ['MAA.Requester', 'MAA.PolicyAdmin'],
        policy: undefined,
      }),
      approve(bob, after(1), [], ['MAA.PolicyAdmin']),
    );
    expect(policyChange.status).toBe('approved');
    expect(
      refusal(() =>
        applyCommand(policyChange, { kind: 'complete', actor: alice, actorRoles: ['MAA.Requester'], at: after(5) }),
      ),
    ).toBe('forbidden');
    expect(
      applyCommand(policyChange, {
        kind: 'complete',
        actor: alice,
        actorRoles: ['MAA.PolicyAdmin', 'MAA.Requester'],
        at: after(5),
      }).request.status,
    ).toBe('completed');
  });

  it('refuses to complete when the stored operation no longer matches the approved hash', () => {
    const approved = requestIn('approved');
    const tampered: ApprovalRequest = { ...approved, operation: { ...approved.operation, resourceId: 'device-2' } };
    expect(
      refusal(() => applyCommand(tampered, { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: after(5) })),
    ).toBe('operation_mismatch');
  });

  it('records the status a cancellation came from', () => {
    const { events } = applyCommand(requestIn('approved'), { kind: 'cancel', actor: alice, at: after(5) });
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['request.cancelled', { from: 'approved' }],
      ['request.statusChanged', { from: 'approved', to: 'cancelled' }],
    ]);
  });
});

describe('expiry', () => {
  const justBefore = shift(EXPIRES, -1);

  it('expires at createdAt + requestTtl', () => {
    expect(newRequest().expiresAt).toBe(EXPIRES);
    expect(newRequest({ policy: accessPolicy({ requestTtl: 'PT1H' }) }).expiresAt).toBe(after(60));
  });

  it.each<[string, RequestStatus, Command, Outcome]>([
    ['a decision 1 ms before expiresAt', 'needsApproval', approve(bob, justBefore), to('approved')],
    ['a decision at expiresAt exactly', 'needsApproval', approve(bob, EXPIRES), refused('expired')],
    ['a decision after expiresAt', 'needsApproval', approve(bob, shift(EXPIRES, 1)), refused('expired')],
    ['a rejection at expiresAt', 'needsApproval', reject(bob, 'too late', EXPIRES), refused('expired')],
    [
      'completion 1 ms before expiresAt',
      'approved',
      { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: justBefore },
      to('completed'),
    ],
    [
      'completion at expiresAt exactly',
      'approved',
      { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: EXPIRES },
      refused('expired'),
    ],
    [
      'completion of a pending request at expiresAt',
      'needsApproval',
      { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: EXPIRES },
      refused('expired'),
    ],
    [
      'cancellation at expiresAt exactly',
      'needsApproval',
      { kind: 'cancel', actor: alice, at: EXPIRES },
      refused('expired'),
    ],
    ['the expiry timer 1 ms early', 'needsApproval', { kind: 'expire', at: justBefore }, refused('invalid_state')],
    ['the expiry timer at expiresAt', 'approved', { kind: 'expire', at: EXPIRES }, to('expired')],
    ['the expiry timer late', 'needsApproval', { kind: 'expire', at: shift(EXPIRES, 60_000) }, to('expired')],
  ])('%s, on a %s request, gives %o', (_, status, command, outcome) => {
    const request = requestIn(status);
    if ('refused' in outcome) expect(refusal(() => applyCommand(request, command))).toBe(outcome.refused);
    else expect(applyCommand(request, command).request.status).toBe(outcome.to);
  });

  it.each<[RequestStatus, string, RequestStatus]>([
    ['needsApproval', justBefore, 'needsApproval'],
    ['needsApproval', EXPIRES, 'expired'],
    ['approved', EXPIRES, 'expired'],
    ['completed', EXPIRES, 'completed'],
    ['rejected', shift(EXPIRES, 1), 'rejected'],
    ['cancelled', shift(EXPIRES, 1), 'cancelled'],
  ])('effectiveStatus of a %s request at %s is %s', (status, at, expected) => {
    expect(effectiveStatus(requestIn(status), at)).toBe(expected);
  });

  it('records the expiry without an actor', () => {
    const { request, events } = applyCommand(requestIn('needsApproval'), { kind: 'expire', at: EXPIRES });
    expect(request.lastModifiedAt).toBe(EXPIRES);
    expect(events).toEqual([
      {
        requestId: 'req-1',
        type: 'request.expired',
        at: EXPIRES,
        actor: null,
        data: { from: 'needsApproval', expiresAt: EXPIRES },
      },
      {
        requestId: 'req-1',
        type: 'request.statusChanged',
        at: EXPIRES,
        actor: null,
        data: { from: 'needsApproval', to: 'expired' },
      },
    ]);
  });
});

describe('recordExecution', () => {
  it.each([
    ['succeeded', 'execution.succeeded'],
    ['failed', 'execution.failed'],
  ] as const)('records a %s execution once, as %s', (status, type) => {
    const completed = requestIn('completed');
    const execution = { status, at: after(3), detail: 'Graph answered 204' };
    const { request, events } = applyCommand(completed, { kind: 'recordExecution', execution });
    expect(request).toMatchObject({ status: 'completed', execution });
    expect(events).toEqual([
      {
        requestId: 'req-1',
        type,
        at: after(3),
        actor: null,
        data: { operationHash: completed.operationHash, detail: 'Graph answered 204' },
      },
    ]);
    expect(refusal(() => applyCommand(request, { kind: 'recordExecution', execution }))).toBe('invalid_state');
  });
});

describe("recordExecution with the Graph executor's facts", () => {
  const graph = {
    clientRequestId: '5b0f7c8e-1d2a-5b3c-9d4e-0f1a2b3c4d5e',
    calls: [
      { method: 'GET' as const, path: '/v1.0/deviceManagement/managedDevices/d1', status: 200, at: after(2) },
      {
        method: 'POST' as const,
        path: '/v1.0/deviceManagement/managedDevices/d1/wipe',
        status: 204,
        requestId: 'graph-req-1',
        at: after(2),
      },
    ],
  };

  it('keeps the code and the Graph calls and audits the code, the client-request-id and every call', () => {
    const completed = requestIn('completed');
    const execution = {
      status: 'succeeded' as const,
      at: after(3),
      detail: 'Graph accepted the wipe',
      code: 'accepted',
      graph,
    };
    const { request, events } = applyCommand(completed, { kind: 'recordExecution', execution });
    expect(request.execution).toEqual(execution);
    expect(request.execution!.graph).not.toBe(graph);
    expect(events[0]!.data).toEqual({
      operationHash: completed.operationHash,
      detail: 'Graph accepted the wipe',
      code: 'accepted',
      clientRequestId: graph.clientRequestId,
      calls: graph.calls,
    });
  });

  it("audits a failure's code without Graph facts when the executor made no call", () => {
    const execution = {
      status: 'failed' as const,
      at: after(3),
      detail: 'over the daily cap',
      code: 'daily_cap_reached',
    };
    const { request, events } = applyCommand(requestIn('completed'), { kind: 'recordExecution', execution });
    expect(request.execution).toEqual(execution);
    expect(events.map((e) => [e.type, e.data.code, e.data.clientRequestId])).toEqual([
      ['execution.failed', 'daily_cap_reached', undefined],
    ]);
  });
});

describe('recordObservation', () => {
  const accepted = run(requestIn('completed'), {
    kind: 'recordExecution',
    execution: {
      status: 'succeeded',
      at: after(3),
      detail: 'Graph accepted the wipe',
      graph: { clientRequestId: 'crid-1', calls: [] },
    },
  });
  const failed = run(requestIn('completed'), {
    kind: 'recordExecution',
    execution: { status: 'failed', at: after(3), detail: 'target_changed', code: 'target_changed' },
  });
  const observe = (state: 'pending' | 'done' | 'failed' | 'gone' | 'unknown', at = after(8)) =>
    ({ kind: 'recordObservation', outcome: { state, at, detail: `the device is ${state}` } }) as const;

  it.each(['pending', 'done', 'failed', 'gone', 'unknown'] as const)(
    'records a %s device outcome on the accepted execution, as execution.observed',
    (state) => {
      const { request, events } = applyCommand(deepFreeze(structuredClone(accepted)), observe(state));
      expect(request.status).toBe('completed');
      expect(request.execution).toEqual({
        ...accepted.execution,
        device: { state, at: after(8), detail: `the device is ${state}` },
      });
      expect(request.lastModifiedAt).toBe(after(8));
      expect(events).toEqual([
        {
          requestId: 'req-1',
          type: 'execution.observed',
          at: after(8),
          actor: null,
          data: {
            operationHash: accepted.operationHash,
            state,
            detail: `the device is ${state}`,
            clientRequestId: 'crid-1',
          },
        },
      ]);
    },
  );

  it.each<[string, ApprovalRequest, DomainErrorCode]>([
    ['a completed request without an execution', requestIn('completed'), 'invalid_state'],
    ['a failed execution', failed, 'invalid_state'],
    ['an execution whose outcome is already observed', run(accepted, observe('done')), 'invalid_state'],
    ['an approved request', requestIn('approved'), 'invalid_state'],
  ])('refuses to observe %s', (_, request, code) => {
    expect(refusal(() => applyCommand(request, observe('done')))).toBe(code);
  });

  it('refuses an unknown state or a bad instant as invalid_request', () => {
    expect(refusal(() => applyCommand(accepted, observe('wiped' as 'done')))).toBe('invalid_request');
    expect(refusal(() => applyCommand(accepted, observe('done', '2026-02-30T10:00:00Z')))).toBe('invalid_request');
  });
});

describe('applyCommand hygiene', () => {
  it('never modifies the request it is given', () => {
    const before = deepFreeze(newRequest({ policy: accessPolicy({ requiredApprovals: 2 }) }));
    const snapshot = structuredClone(before);
    const { request } = applyCommand(before, approve(bob));
    expect(before).toEqual(snapshot);
    expect(request.decisions).toHaveLength(1);
    expect(request.decisions).not.toBe(before.decisions);
  });

  it('never moves lastModifiedAt backwards', () => {
    const late = run(newRequest({ policy: accessPolicy({ requiredApprovals: 2 }) }), approve(bob, after(30)));
    expect(applyCommand(late, approve(carol, after(10))).request.lastModifiedAt).toBe(after(30));
  });

  it.each<[string, Command]>([
    ['a decision without a time zone', approve(bob, '2024-03-01T10:05:00')],
    ['a cancellation at February 30th', { kind: 'cancel', actor: alice, at: '2024-02-30T10:00:00Z' }],
    [
      'an unknown decision',
      {
        kind: 'decide',
        actor: bob,
        actorRoles: APPROVER,
        actorGroupIds: [GROUP_A],
        decision: 'abstain' as 'approve',
        source: 'api',
        at: after(1),
      },
    ],
  ])('refuses %s as invalid_request', (_, command) => {
    expect(refusal(() => applyCommand(newRequest(), command))).toBe('invalid_request');
  });
});

describe('mayView and isEligibleApprover', () => {
  it.each<[string, string, string[], string[], boolean, boolean]>([
    ['the initiator', alice.id, ['MAA.Requester'], [], true, false],
    ['the initiator in an approver group', alice.id, ['MAA.Requester', 'MAA.Approver'], [GROUP_A], true, false],
    ['an approver in a group', bob.id, ['MAA.Approver'], [GROUP_B], true, true],
    ['a group member without MAA.Approver', bob.id, ['MAA.Requester'], [GROUP_A], false, false],
    ['an approver in no group', erin.id, ['MAA.Approver'], [GROUP_OTHER], false, false],
    ['an operator', oscar.id, ['MAA.Operator'], [], true, false],
    ['a PolicyAdmin outside the groups', erin.id, ['MAA.PolicyAdmin'], [], false, false],
  ])('%s: may view %s, may decide %s', (_, id, roles, groupIds, view, decide) => {
    const request = newRequest();
    expect(mayView(request, { id }, roles, groupIds)).toBe(view);
    expect(isEligibleApprover(request, id, roles, groupIds)).toBe(decide);
  });
});

describe('executionRefusal: only what the read model says was completed executes', () => {
  const completed = requestIn('completed');
  const failed = run(completed, {
    kind: 'recordExecution',
    execution: { status: 'failed', at: after(3), detail: 'timeout' },
  });
  const redriving: ApprovalRequest = {
    ...failed,
    redrive: { number: 1, by: oscar, reason: 'retry', at: after(4), running: true },
  };

  it.each<[string, boolean, ApprovalRequest | undefined, ApprovalRequest]>([
    ['a completed request without an execution', true, completed, completed],
    ['a request the store does not hold', false, undefined, completed],
    ['a request the store holds as approved only', false, requestIn('approved'), { ...completed }],
    ['a request whose execution is already recorded', false, failed, failed],
    ['another operation than the approved one', false, completed, { ...completed, operationHash: 'f'.repeat(64) }],
    [
      'a stored operation that no longer matches its hash',
      false,
      { ...completed, operation: { ...completed.operation, resourceId: 'device-2' } },
      completed,
    ],
    ['the re-drive an operator claimed', true, redriving, redriving],
    ['a re-drive nobody claimed', false, failed, redriving],
    [
      'another re-drive than the one claimed',
      false,
      redriving,
      { ...redriving, redrive: { ...redriving.redrive!, number: 2 } },
    ],
  ])('%s may execute: %s', (_, allowed, stored, requested) => {
    expect(executionRefusal(stored, requested) === undefined).toBe(allowed);
  });
});
