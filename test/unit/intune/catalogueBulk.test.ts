import { submitRequestBodySchema } from '../../../shared/api/schemas';
import { HttpError } from '../../../shared/http/problem';
import { validate } from '../../../shared/http/body';

const id = (n: number) => `B0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

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

const retire = (operation: Record<string, unknown>, profileType = 'deviceRetire') => ({
  profileType,
  operation: { action: 'retire', resourceType: 'managedDevice', ...operation },
  justification: 'Leavers of December',
});

describe('bulk device actions in POST /api/requests bodies', () => {
  it('accepts 1..100 device GUIDs and stores them lower-cased, in order', () => {
    const ids = Array.from({ length: 100 }, (_, n) => id(n + 1));
    const body = validate(submitRequestBodySchema, retire({ resourceIds: ids }), 'body');
    expect(body.operation).toEqual({
      action: 'retire',
      resourceType: 'managedDevice',
      resourceIds: ids.map((one) => one.toLowerCase()),
    });
    expect(fieldErrors(retire({ resourceIds: [id(1)] }))).toEqual([]);
  });

  it.each(['deviceWipe:wipe', 'deviceDelete:delete'])('allows bulk for %s', (pair) => {
    const [profileType, action] = pair.split(':');
    expect(
      fieldErrors({
        profileType,
        operation: { action, resourceType: 'managedDevice', resourceIds: [id(1), id(2)] },
        justification: 'Leavers',
      }),
    ).toEqual([]);
  });

  it('refuses a device named twice, however it is spelled, at the repeat', () => {
    expect(fieldErrors(retire({ resourceIds: [id(1), id(2), id(1).toLowerCase()] }))).toEqual([
      {
        path: 'body.operation.resourceIds.2',
        message: 'repeats resourceIds.0: each managedDevice is named once',
      },
    ]);
  });

  it('refuses over 100 devices and none', () => {
    const ids = Array.from({ length: 101 }, (_, n) => id(n + 1));
    expect(fieldErrors(retire({ resourceIds: ids }))).toEqual([
      { path: 'body.operation.resourceIds', message: 'names 101 objects: one request may name at most 100' },
    ]);
    expect(fieldErrors(retire({ resourceIds: [] }))).toEqual([
      { path: 'body.operation.resourceIds', message: 'must name at least one managedDevice' },
    ]);
  });

  it('refuses resourceId together with resourceIds', () => {
    expect(fieldErrors(retire({ resourceId: id(1), resourceIds: [id(2)] }))).toEqual([
      { path: 'body.operation.resourceId', message: 'must be absent when resourceIds is given' },
    ]);
  });

  it('refuses each id that is not a GUID, at its index', () => {
    expect(fieldErrors(retire({ resourceIds: [id(1), 'laptop-7', id(2), '42'] }))).toEqual([
      { path: 'body.operation.resourceIds.1', message: 'must be the GUID of a managedDevice' },
      { path: 'body.operation.resourceIds.3', message: 'must be the GUID of a managedDevice' },
    ]);
  });

  it('refuses mixed actions: an action that is not the profile type’s', () => {
    expect(fieldErrors(retire({ resourceIds: [id(1)] }, 'deviceWipe'))).toEqual([
      { path: 'body.operation.action', message: 'is not an operation of deviceWipe; allowed: managedDevice: wipe' },
      {
        path: 'body.operation.resourceIds',
        message: 'a bulk request holds one action of its profile type: deviceWipe allows managedDevice: wipe',
      },
    ]);
  });

  it('refuses resourceIds on an action that does not allow bulk', () => {
    expect(
      fieldErrors({
        profileType: 'app',
        operation: { action: 'delete', resourceType: 'mobileApp', resourceIds: [id(1)] },
        justification: 'Old apps',
      }),
    ).toEqual([
      {
        path: 'body.operation.resourceIds',
        message: 'must be absent: delete of mobileApp acts on one object (use resourceId)',
      },
    ]);
  });

  it('refuses the macOS unlock code in a bulk wipe: it belongs to one device', () => {
    expect(
      fieldErrors({
        profileType: 'deviceWipe',
        operation: {
          action: 'wipe',
          resourceType: 'managedDevice',
          resourceIds: [id(1)],
          payload: { macOsUnlockCode: '123456' },
        },
        justification: 'Stolen Macs',
      }),
    ).toEqual([
      {
        path: 'body.operation.payload.macOsUnlockCode',
        message: 'must be absent in a bulk request: it belongs to one managedDevice',
      },
    ]);
  });
});
