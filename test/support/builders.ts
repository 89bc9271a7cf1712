import type { SubmitRequestBody } from '../../shared/api/schemas';
import { isDomainError, type DomainErrorCode } from '../../shared/domain/errors';
import { applyCommand, createRequest, type Command, type NewRequestInput } from '../../shared/domain/lifecycle';
import type { AccessPolicy, AppRole, ApprovalRequest, Principal, RequestStatus } from '../../shared/domain/model';

/** Submission instant of every fixture request; with the default P30D TTL it expires at {@link EXPIRES}. */
export const T0 = '2024-03-01T10:00:00.000Z';
export const EXPIRES = '2024-03-31T10:00:00.000Z';

/** `T0` plus `minutes`, in canonical form. */
export function after(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

/** `iso` moved by `ms` milliseconds. */
export function shift(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

export const GROUP_A = '0a0a0a0a-0000-4000-8000-00000000000a';
export const GROUP_B = '0b0b0b0b-0000-4000-8000-00000000000b';
export const GROUP_OTHER = '0c0c0c0c-0000-4000-8000-00000000000c';

const person = (id: string, displayName: string): Principal => ({ id, displayName });
export const alice = person('alice-id', 'Alice (initiator)');
export const bob = person('bob-id', 'Bob');
export const carol = person('carol-id', 'Carol');
export const dave = person('dave-id', 'Dave');
export const erin = person('erin-id', 'Erin (not an approver)');
export const oscar = person('oscar-id', 'Oscar (operator)');

export const REQUESTER: AppRole[] = ['MAA.Requester'];
export const APPROVER: AppRole[] = ['MAA.Approver'];

/** An active access policy for `deviceWipe`: GROUP_A and GROUP_B approve, one approval, P30D. */
export function accessPolicy(overrides: Partial<AccessPolicy> = {}): AccessPolicy {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    displayName: 'Device wipes',
    description: 'Wiping a device needs a second admin.',
    profileType: 'deviceWipe',
    approverGroupIds: [GROUP_A, GROUP_B],
    requiredApprovals: 1,
    requestTtl: 'P30D',
    version: 1,
    createdBy: person('policy-admin-id', 'Policy admin'),
    createdAt: '2024-01-01T00:00:00.000Z',
    lastModifiedAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A valid submission by Alice to wipe device `device-1`, under {@link accessPolicy}, at T0. */
export function submission(overrides: Partial<NewRequestInput> = {}): NewRequestInput {
  return {
    id: 'req-1',
    profileType: 'deviceWipe',
    operation: {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId: 'device-1',
      payload: { keepEnrollmentData: false },
    },
    justification: 'Laptop reported stolen (ticket 4711).',
    initiator: alice,
    initiatorRoles: REQUESTER,
    policy: accessPolicy(),
    now: T0,
    ...overrides,
  };
}

export function newRequest(overrides: Partial<NewRequestInput> = {}): ApprovalRequest {
  return createRequest(submission(overrides));
}

export function approve(
  actor: Principal,
  at = after(1),
  groupIds: string[] = [GROUP_A],
  roles: string[] = APPROVER,
  notes = '',
): Command {
  return {
    kind: 'decide',
    actor,
    actorRoles: roles,
    actorGroupIds: groupIds,
    decision: 'approve',
    notes,
    source: 'api',
    at,
  };
}

export function reject(
  actor: Principal,
  notes = 'Not on the change calendar.',
  at = after(1),
  groupIds: string[] = [GROUP_A],
  roles: string[] = APPROVER,
): Command {
  return {
    kind: 'decide',
    actor,
    actorRoles: roles,
    actorGroupIds: groupIds,
    decision: 'reject',
    notes,
    source: 'api',
    at,
  };
}

/** Applies each command in turn and returns the final request. */
export function run(request: ApprovalRequest, ...commands: Command[]): ApprovalRequest {
  return commands.reduce((current, command) => applyCommand(current, command).request, request);
}

/** A one-approval deviceWipe request brought into `status` through real commands. */
export function requestIn(status: RequestStatus): ApprovalRequest {
  const fresh = newRequest();
  switch (status) {
    case 'needsApproval':
      return fresh;
    case 'approved':
      return run(fresh, approve(bob));
    case 'rejected':
      return run(fresh, reject(bob));
    case 'cancelled':
      return run(fresh, { kind: 'cancel', actor: alice, at: after(1) });
    case 'completed':
      return run(fresh, approve(bob), { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: after(2) });
    case 'expired':
      return run(fresh, { kind: 'expire', at: EXPIRES });
  }
}

/** The code of the domain error `action` throws; fails the test when it throws something else or nothing. */
export function refusal(action: () => unknown): DomainErrorCode {
  try {
    action();
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a domain error, but nothing was thrown');
}

/** `value` frozen all the way down, so any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * The body of `POST /api/requests` wiping managed device `resourceId` (no payload unless given),
 * justified with `justification` (default "Laptop reported stolen").
 */
export function wipeBody(
  resourceId: string,
  options: { payload?: SubmitRequestBody['operation']['payload']; justification?: string } = {},
): SubmitRequestBody {
  const { payload, justification = 'Laptop reported stolen' } = options;
  return {
    profileType: 'deviceWipe',
    operation: {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId,
      ...(payload === undefined ? {} : { payload }),
    },
    justification,
  };
}
