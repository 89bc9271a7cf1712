import { HttpRequest } from '@azure/functions';
import { submitRequestBodySchema, listRequestsQuerySchema } from '../../../shared/api/schemas';
import { MAX_BODY_BYTES, readJsonBody, readQuery } from '../../../shared/http/body';
import { HttpError } from '../../../shared/http/problem';

function request(body: string | undefined, contentType = 'application/json', url = 'http://localhost/api/requests'): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url,
    headers: contentType ? { 'content-type': contentType } : {},
    ...(body === undefined ? {} : { body: { string: body } }),
  });
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

const valid = { profileType: 'deviceWipe', operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: 'dev-1' }, justification: 'stolen laptop' };

describe('readJsonBody', () => {
  it('returns the validated body', async () => {
    await expect(readJsonBody(request(JSON.stringify(valid)), submitRequestBodySchema)).resolves.toEqual(valid);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const error = await failure(readJsonBody(request('{"profileType": '), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([400, 'invalid_json']);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const error = await failure(readJsonBody(request('profileType=app', 'application/x-www-form-urlencoded'), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('refuses an oversize body with 413 before parsing it', async () => {
    const big = JSON.stringify({ ...valid, justification: 'x'.repeat(MAX_BODY_BYTES) });
    const error = await failure(readJsonBody(request(big), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('lists every field error: wrong types, unknown fields, over-long strings, missing fields', async () => {
    const body = { profileType: 'coffee', operation: { action: 7, resourceType: 'x', extra: true }, justification: 'y'.repeat(1025), sneaky: 1 };
    const error = await failure(readJsonBody(request(JSON.stringify(body)), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([400, 'validation_failed']);
    const paths = (error.errors ?? []).map((e) => e.path).sort();
    expect(paths).toEqual(['body.justification', 'body.operation.action', 'body.operation.extra', 'body.profileType', 'body.sneaky']);
  });

  it('treats an empty body as {} (so required fields are reported)', async () => {
    const error = await failure(readJsonBody(request(undefined), submitRequestBodySchema));
    expect((error.errors ?? []).map((e) => e.path).sort()).toEqual(['body.justification', 'body.operation', 'body.profileType']);
  });
});

describe('readQuery', () => {
  it('applies defaults and coerces numbers', () => {
    expect(readQuery(request(undefined, '', 'http://localhost/api/requests?view=received&top=10'), listRequestsQuerySchema)).toEqual({ view: 'received', top: 10 });
  });

  it('refuses unknown parameters and out-of-range values', () => {
    expect(() => readQuery(request(undefined, '', 'http://localhost/api/requests?top=500&colour=red'), listRequestsQuerySchema)).toThrow(HttpError);
  });
});
