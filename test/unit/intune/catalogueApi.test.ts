import { openApiDocument } from '../../../shared/api/openapi';
import { submitRequestBodySchema } from '../../../shared/api/schemas';
import { HttpError } from '../../../shared/http/problem';
import { validate } from '../../../shared/http/body';
import { CATALOGUE } from '../../../shared/intune/catalogue';

const DEVICE = 'd3a1c0de-0000-4000-8000-000000000001';
const APP = 'a9900a00-0000-4000-8000-000000000001';

/** The field errors `POST /api/requests` answers `body` with (none when it is accepted). */
function fieldErrors(body: unknown): { path: string; message: string }[] {
  try {
    validate(submitRequestBodySchema, body, 'body');
    return [];
  } catch (error) {
    if (error instanceof HttpError && error.code === 'validation_failed') return error.errors ?? [];
    throw error;
  }
}

describe('POST /api/requests bodies, held to the catalogue', () => {
  it('refuses an unknown operation with a field error on operation.action naming the allowed ones', () => {
    const body = {
      profileType: 'deviceWipe',
      operation: { action: 'run', resourceType: 'managedDevice', resourceId: DEVICE },
      justification: 'Stolen laptop',
    };
    expect(fieldErrors(body)).toEqual([
      { path: 'body.operation.action', message: 'is not an operation of deviceWipe; allowed: managedDevice: wipe' },
    ]);
  });

  it('reports payload errors under operation.payload, unknown fields as such', () => {
    const body = {
      profileType: 'app',
      operation: {
        action: 'assign',
        resourceType: 'mobileApp',
        resourceId: APP,
        payload: { assignments: [{ target: 'group', groupId: 'sales', intent: 'required', filter: 'x' }] },
      },
      justification: 'Roll out to sales',
    };
    expect(fieldErrors(body)).toEqual([
      { path: 'body.operation.payload.assignments.0.groupId', message: 'must be a GUID' },
      { path: 'body.operation.payload.assignments.0.filter', message: 'is not a known field' },
    ]);
  });

  it('keeps the text rules on payloads before the catalogue looks at them', () => {
    const body = {
      profileType: 'tenantConfiguration',
      operation: { action: 'create', resourceType: 'deviceCategory', payload: { displayName: 'Kiosk\u0007' } },
      justification: 'New category',
    };
    expect(fieldErrors(body)).toEqual([
      {
        path: 'body.operation.payload.displayName',
        message: 'must not contain U+0007 (a control character) in text (at position 5)',
      },
    ]);
  });

  it('yields the parsed operation: ids lower-cased, text trimmed, defaults filled in', () => {
    const body = validate(
      submitRequestBodySchema,
      {
        profileType: 'script',
        operation: {
          action: 'create',
          resourceType: 'deviceManagementScript',
          payload: { displayName: '  Set time zone ', scriptContent: 'ZWNobyBvaw==', fileName: 'tz.ps1' },
        },
        justification: 'Time zones',
      },
      'body',
    );
    expect(body.operation).toEqual({
      action: 'create',
      resourceType: 'deviceManagementScript',
      payload: {
        displayName: 'Set time zone',
        scriptContent: 'ZWNobyBvaw==',
        fileName: 'tz.ps1',
        runAsAccount: 'system',
        enforceSignatureCheck: false,
        runAs32Bit: false,
      },
    });
    const wipe = validate(
      submitRequestBodySchema,
      {
        profileType: 'deviceWipe',
        operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE.toUpperCase() },
        justification: 'Stolen laptop',
      },
      'body',
    );
    expect(wipe.operation).toEqual({ action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE });
  });

  it('lets an operationApprovalPolicy body through to the handler, which sends it to /api/policies', () => {
    const body = {
      profileType: 'operationApprovalPolicy',
      operation: { action: 'create', resourceType: 'accessPolicy' },
      justification: 'New policy',
    };
    expect(fieldErrors(body)).toEqual([]);
  });
});

describe('the OpenAPI document of POST /api/requests', () => {
  const schema = (openApiDocument('test').paths as Record<string, Record<string, any>>)['/requests']!.post.requestBody
    .content['application/json'].schema as { oneOf: Record<string, any>[] };

  it('describes the body as one variant per catalogue operation', () => {
    expect(schema.oneOf.map((variant) => variant.title)).toEqual(
      CATALOGUE.map((entry) => `${entry.profileType}: ${entry.resourceType} ${entry.action}`),
    );
  });

  it.each(CATALOGUE.map((entry, index) => [`${entry.resourceType} ${entry.action}`, entry, index] as const))(
    'gives %s its summary, permission, strict fields and an example submit accepts',
    (_, entry, index) => {
      const variant = schema.oneOf[index]!;
      expect(variant.description).toContain(entry.summary);
      expect(variant.description).toContain(`Permission: ${entry.permission}.`);
      expect(variant).toMatchObject({
        type: 'object',
        additionalProperties: false,
        properties: {
          profileType: { const: entry.profileType },
          operation: {
            additionalProperties: false,
            properties: { action: { const: entry.action }, resourceType: { const: entry.resourceType } },
          },
        },
      });
      const operation = variant.properties.operation;
      // A bulk action takes resourceId or resourceIds (1..100), so neither is required on its own.
      expect(operation.required).toEqual(
        entry.resourceId === 'required' && !entry.bulk
          ? expect.arrayContaining(['resourceId'])
          : expect.not.arrayContaining(['resourceId']),
      );
      expect(Object.keys(operation.properties).includes('resourceIds')).toBe(entry.bulk === true);
      if (entry.bulk) expect(operation.properties.resourceIds).toMatchObject({ minItems: 1, maxItems: 100 });
      expect(Object.keys(operation.properties).includes('payload')).toBe(entry.payload !== undefined);
      expect(variant.examples).toHaveLength(1);
      expect(fieldErrors(variant.examples[0])).toEqual([]);
    },
  );
});
