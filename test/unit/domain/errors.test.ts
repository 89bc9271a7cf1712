import { DOMAIN_ERROR_CODES, DomainError, isDomainError, type DomainErrorCode } from '../../../shared/domain/errors';

describe('DomainError', () => {
  it.each<[DomainErrorCode, number]>([
    ['self_approval', 403],
    ['not_an_approver', 403],
    ['forbidden', 403],
    ['not_initiator', 403],
    ['invalid_state', 409],
    ['already_decided', 409],
    ['expired', 409],
    ['entity_locked', 409],
    ['operation_mismatch', 409],
    ['no_applicable_policy', 422],
    ['use_policies_api', 422],
    ['policy_exists', 409],
    ['unknown_group', 422],
    ['notes_required', 400],
    ['invalid_policy', 400],
    ['invalid_request', 400],
    ['not_found', 404],
    ['idempotency_key_reused', 409],
    ['not_an_operator', 403],
    ['orchestration_unavailable', 503],
    ['conflict', 409],
    ['terminate_pending', 503],
    ['target_not_found', 422],
    ['graph_unavailable', 503],
    ['no_eligible_approver', 422],
    ['auto_complete_unavailable', 422],
    ['membership_unavailable', 503],
    ['command_refused', 409],
  ])('%s suggests HTTP %i', (code, status) => {
    const error = new DomainError(code, 'message');
    expect(error).toMatchObject({ name: 'DomainError', code, status, message: 'message' });
    expect(isDomainError(error, code)).toBe(true);
  });

  it('lists every code in the table above', () => {
    expect(DOMAIN_ERROR_CODES).toHaveLength(28);
  });

  it('carries field errors when given', () => {
    const errors = [{ path: 'displayName', message: 'must not be blank' }];
    expect(new DomainError('invalid_policy', 'bad', { errors }).errors).toEqual(errors);
    expect(new DomainError('expired', 'late')).not.toHaveProperty('errors');
  });
});

describe('isDomainError', () => {
  it.each<[string, unknown, DomainErrorCode | undefined, boolean]>([
    ['a domain error, any code', new DomainError('expired', 'x'), undefined, true],
    ['a domain error with another code', new DomainError('expired', 'x'), 'invalid_state', false],
    [
      'a structural copy (another module instance)',
      { name: 'DomainError', code: 'forbidden', status: 403, message: 'x' },
      'forbidden',
      true,
    ],
    ['an unknown code', { name: 'DomainError', code: 'teapot' }, undefined, false],
    ['a plain Error', new Error('x'), undefined, false],
    [
      'an error of another kind with a known code',
      Object.assign(new Error('x'), { code: 'expired' }),
      'expired',
      false,
    ],
    ['null', null, undefined, false],
    ['a string', 'expired', undefined, false],
  ])('%s: %s', (_, value, code, expected) => {
    expect(isDomainError(value, code)).toBe(expected);
  });
});
