import { HttpRequest } from '@azure/functions';
import { submitRequestBodySchema, listRequestsQuerySchema } from '../../../shared/api/schemas';
import {
  jsonDepth,
  MAX_BODY_BYTES,
  MAX_BODY_DEPTH,
  parseUrlEncoded,
  readJsonBody,
  readQuery,
} from '../../../shared/http/body';
import { HttpError } from '../../../shared/http/problem';

function request(
  body: string | Buffer | undefined,
  contentType = 'application/json',
  url = 'http://localhost/api/requests',
): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url,
    headers: contentType ? { 'content-type': contentType } : {},
    ...(body === undefined
      ? {}
      : { body: typeof body === 'string' ? { string: body } : { bytes: new Uint8Array(body) } }),
  });
}

/** An array nested `depth` deep. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

const valid = {
  profileType: 'deviceWipe',
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: 'd3a1c0de-0000-4000-8000-000000000001' },
  justification: 'stolen laptop',
};

describe('readJsonBody', () => {
  it('returns the validated body', async () => {
    await expect(readJsonBody(request(JSON.stringify(valid)), submitRequestBodySchema)).resolves.toEqual(valid);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const error = await failure(readJsonBody(request('{"profileType": '), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([400, 'invalid_json']);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const error = await failure(
      readJsonBody(request('profileType=app', 'application/x-www-form-urlencoded'), submitRequestBodySchema),
    );
    expect([error.status, error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('refuses an oversize body with 413 before parsing it', async () => {
    const big = JSON.stringify({ ...valid, justification: 'x'.repeat(MAX_BODY_BYTES) });
    const error = await failure(readJsonBody(request(big), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('lists every field error: wrong types, unknown fields, over-long strings, missing fields', async () => {
    const body = {
      profileType: 'coffee',
      operation: { action: 7, resourceType: 'x', extra: true },
      justification: 'y'.repeat(1025),
      sneaky: 1,
    };
    const error = await failure(readJsonBody(request(JSON.stringify(body)), submitRequestBodySchema));
    expect([error.status, error.code]).toEqual([400, 'validation_failed']);
    const paths = (error.errors ?? []).map((e) => e.path).sort();
    expect(paths).toEqual([
      'body.justification',
      'body.operation.action',
      'body.operation.extra',
      'body.profileType',
      'body.sneaky',
    ]);
  });

  it('refuses a body nested deeper than the limit with 400 body_too_deep before validating it', async () => {
    // 5,000 levels overflowed the stack of schema validation (a bare 500) before the limit existed.
    for (const depth of [MAX_BODY_DEPTH + 1, 5_000, 30_000]) {
      const body = `{"profileType":"deviceWipe","operation":{"action":"wipe","resourceType":"managedDevice","payload":{"a":${nested(depth)}}},"justification":"j"}`;
      const error = await failure(readJsonBody(request(body), submitRequestBodySchema));
      expect([error.status, error.code, error.errors]).toEqual([400, 'body_too_deep', undefined]);
    }
  });

  it('accepts a body exactly at the nesting limit', async () => {
    // A settings catalog setting is the one payload Graph nests freely.
    const setting = (inner: unknown) => ({
      settingInstance: {
        '@odata.type': '#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance',
        settingDefinitionId: 'device_vendor_msft_policy_config_example',
        children: inner,
      },
    });
    const body = {
      profileType: 'configurationPolicy',
      operation: {
        action: 'create',
        resourceType: 'configurationPolicy',
        payload: { name: 'Deep', platforms: 'windows10', technologies: ['mdm'], settings: [setting(null)] },
      },
      justification: 'j',
    };
    body.operation.payload.settings = [setting(JSON.parse(nested(MAX_BODY_DEPTH - jsonDepth(body))))];
    expect(jsonDepth(body)).toBe(MAX_BODY_DEPTH);
    await expect(readJsonBody(request(JSON.stringify(body)), submitRequestBodySchema)).resolves.toMatchObject({
      justification: 'j',
    });
  });

  it('refuses bytes that are not UTF-8 with 400 invalid_utf8 (never replaced by U+FFFD)', async () => {
    const text = JSON.stringify(valid);
    const at = text.indexOf('d3a1c0de');
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]);
      const error = await failure(readJsonBody(request(bytes), submitRequestBodySchema));
      expect([error.status, error.code]).toEqual([400, 'invalid_utf8']);
    }
  });

  it('keeps multi-byte UTF-8 as sent', async () => {
    const body = { ...valid, justification: 'Gerät gestohlen, 盗まれた 🔒' };
    await expect(
      readJsonBody(request(Buffer.from(JSON.stringify(body), 'utf8')), submitRequestBodySchema),
    ).resolves.toEqual(body);
  });

  it('treats an empty body as {} (so required fields are reported)', async () => {
    const error = await failure(readJsonBody(request(undefined), submitRequestBodySchema));
    expect((error.errors ?? []).map((e) => e.path).sort()).toEqual([
      'body.justification',
      'body.operation',
      'body.profileType',
    ]);
  });
});

describe('readQuery', () => {
  it('applies defaults and coerces numbers', () => {
    expect(
      readQuery(request(undefined, '', 'http://localhost/api/requests?view=received&top=10'), listRequestsQuerySchema),
    ).toEqual({ view: 'received', top: 10 });
  });

  it('refuses percent-encoded bytes that are not UTF-8 with 400 invalid_utf8', () => {
    const error = (() => {
      try {
        readQuery(
          request(undefined, '', 'http://localhost/api/requests?view=mine&status=%FFapproved'),
          listRequestsQuerySchema,
        );
      } catch (caught) {
        return caught as HttpError;
      }
      throw new Error('expected an HttpError');
    })();
    expect([error.status, error.code]).toEqual([400, 'invalid_utf8']);
  });

  it('refuses unknown parameters and out-of-range values', () => {
    expect(() =>
      readQuery(request(undefined, '', 'http://localhost/api/requests?top=500&colour=red'), listRequestsQuerySchema),
    ).toThrow(HttpError);
  });
});

describe('parseUrlEncoded', () => {
  it('decodes names and values, + as space, and keeps a stray % as it is', () => {
    expect(parseUrlEncoded('decision=approve&notes=ok+then%2C+%C3%A9&x=100%&flag', 'body')).toEqual([
      ['decision', 'approve'],
      ['notes', 'ok then, é'],
      ['x', '100%'],
      ['flag', ''],
    ]);
  });

  it('refuses a percent-encoded sequence that is not UTF-8', () => {
    expect(() => parseUrlEncoded('notes=%C3', 'body')).toThrow(
      expect.objectContaining({ code: 'invalid_utf8', status: 400 }),
    );
  });
});

describe('jsonDepth', () => {
  it('counts arrays and objects, not scalars', () => {
    expect([jsonDepth(1), jsonDepth('x'), jsonDepth(null), jsonDepth([]), jsonDepth({ a: [1, { b: 2 }] })]).toEqual([
      0, 0, 0, 1, 3,
    ]);
  });
});
