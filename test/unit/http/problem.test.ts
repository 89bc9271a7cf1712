import { HttpError, problemFromError, problemResponse } from '../../../shared/http/problem';

/** The typed error that raises each code below (the mapper trusts only those, by name). */
const NAMED: Record<string, string> = {
  self_approval: 'DomainError',
  not_an_approver: 'DomainError',
  invalid_state: 'DomainError',
  entity_locked: 'StoreError',
  no_applicable_policy: 'DomainError',
  expired_token: 'AuthError',
  precondition_failed: 'StoreError',
};

describe('problemFromError', () => {
  it('keeps an HttpError as raised, field errors included', () => {
    const error = new HttpError('validation_failed', 'The body is not valid', undefined, [
      { path: 'body.x', message: 'Required' },
    ]);
    expect(problemFromError(error)).toEqual({
      status: 400,
      code: 'validation_failed',
      title: 'The body is not valid',
      errors: [{ path: 'body.x', message: 'Required' }],
    });
  });

  it.each([
    ['self_approval', 403],
    ['not_an_approver', 403],
    ['invalid_state', 409],
    ['entity_locked', 409],
    ['no_applicable_policy', 422],
    ['expired_token', 401],
    ['precondition_failed', 412],
  ])('maps a typed error with code %s to %d, with its message as detail', (code, status) => {
    const error = Object.assign(new Error(`because ${code}`), { name: NAMED[code], code });
    expect(problemFromError(error)).toMatchObject({ status, code, detail: `because ${code}` });
  });

  it('does not trust a known code on an error that is not one of the typed errors', () => {
    expect(problemFromError(Object.assign(new Error('x'), { code: 'invalid_state' })).status).toBe(500);
  });

  it('answers anything else with a 500 that reveals nothing', () => {
    const problem = problemFromError(new TypeError('secret stack detail at db.ts:42'));
    expect(problem).toEqual({ status: 500, code: 'internal_error', title: 'Something went wrong on our side' });
    expect(JSON.stringify(problem)).not.toMatch(/secret|db\.ts/);
  });

  it('does not trust an unknown code on an error', () => {
    expect(problemFromError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).status).toBe(500);
  });
});

describe('problemResponse', () => {
  it('is application/problem+json with the code mirrored in x-error-code', () => {
    const response = problemResponse({
      status: 409,
      code: 'entity_locked',
      title: 'Another open request exists for this resource',
    });
    expect(response.status).toBe(409);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json', 'x-error-code': 'entity_locked' });
    expect(JSON.parse(response.body as string)).toEqual({
      type: 'urn:maa:problem:entity_locked',
      status: 409,
      code: 'entity_locked',
      title: 'Another open request exists for this resource',
    });
  });

  it('passes an upstream Retry-After on as a header, not in the document', () => {
    const error = Object.assign(new Error('Graph throttled the app'), {
      name: 'IdentityUnavailableError',
      code: 'graph_throttled',
      status: 503,
      details: { retryAfterSeconds: 7.2 },
    });
    const problem = problemFromError(error);
    expect(problem).toMatchObject({ status: 503, code: 'graph_throttled', retryAfterSeconds: 8 });
    const response = problemResponse(problem);
    expect(response.headers).toMatchObject({ 'retry-after': '8' });
    expect(JSON.parse(response.body as string)).not.toHaveProperty('retryAfterSeconds');
  });

  it('asks for a bearer token on 401', () => {
    expect(problemResponse({ status: 401, code: 'missing_token', title: 't' }).headers).toMatchObject({
      'www-authenticate': 'Bearer',
    });
  });
});
