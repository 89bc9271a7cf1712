/**
 * Text that cannot lie and policy changes only through `/api/policies`, through the real runtime
 * over HTTP: spoofing identifiers (bidi overrides, invisible and control characters), notes and
 * justifications that are empty once invisible characters are removed, a policy change submitted
 * as a plain request, a second policy for a protected profile type and unknown approver groups are
 * each refused with their code, store nothing and hold no lock (the honest submit that follows
 * succeeds); spellings of one identifier (GUID case, surrounding spaces) are one entity.
 */
import { Api, approverGroup, createPolicy } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice, SEEDED } from '../support/intune';

jest.setTimeout(90_000);

const wipe = (resourceId: string, justification?: string) =>
  wipeBody(resourceId, justification === undefined ? {} : { justification });

describe('user text and policy changes at submit', () => {
  let api: Api;
  let group: string;

  beforeAll(async () => {
    api = new Api(await startRuntime());
    group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** Ids of every request in the store (operator view). */
  async function storedIds(): Promise<string[]> {
    const all = await api.call('olga', 'GET', 'requests?view=all&top=100');
    expect(all.status).toBe(200);
    return (all.body.items as { id: string }[]).map((item) => item.id).sort();
  }

  function expectProblem(reply: { status: number; body: any; headers: Headers }, status: number, code: string): void {
    expect({ status: reply.status, code: reply.body?.code, header: reply.headers.get('x-error-code') }).toEqual({
      status,
      code,
      header: code,
    });
  }

  /** A device enrolled in the local tenant for one test alone. */
  const device = (name: string) => newDevice(api.runtime.url, name);
  const reversed = (text: string) => [...text].reverse().join('');

  it.each([
    ['a right-to-left override that shows the id', (id: string) => `\u202e${reversed(id)}`, 'dev-a'],
    ['a trailing NUL', (id: string) => `${id}\u0000`, 'dev-b'],
    ['a zero-width space', (id: string) => `${id.slice(0, 8)}\u200b${id.slice(8)}`, 'dev-c'],
    ['a byte order mark', (id: string) => `\ufeff${id}`, 'dev-d'],
    ['a tag character', (id: string) => `${id}\u{e0041}`, 'dev-e'],
    ['a line separator', (id: string) => `${id}\u2028`, 'dev-f'],
  ])('refuses a resourceId with %s (400 validation_failed) and holds no lock', async (_name, spoof, name) => {
    const honest = await device(name);
    const before = await storedIds();
    const refused = await api.call('alice', 'POST', 'requests', wipe(spoof(honest)));
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'body.operation.resourceId' })]);
    expect(await storedIds()).toEqual(before);
    expect((await api.call('alice', 'POST', 'requests', wipe(honest))).status).toBe(202);
  });

  it('refuses a second open request for a device whose id differs only by a trailing NUL', async () => {
    const id = await device('dev-1');
    expect((await api.call('alice', 'POST', 'requests', wipe(id))).status).toBe(202);
    const before = await storedIds();
    expectProblem(await api.call('alice', 'POST', 'requests', wipe(`${id}\u0000`)), 400, 'validation_failed');
    expect(await storedIds()).toEqual(before);
  });

  it('treats a GUID resourceId in upper and lower case as one entity', async () => {
    const lower = (await device('dev-guid-case')).toLowerCase();
    const first = await api.call('alice', 'POST', 'requests', wipe(lower));
    expect(first.status).toBe(202);
    const upper = await api.call('alice', 'POST', 'requests', wipe(lower.toUpperCase()));
    expectProblem(upper, 409, 'entity_locked');
  });

  it('treats a resourceId with surrounding spaces as the same entity, storing it trimmed', async () => {
    const id = await device('dev-spaced');
    const spaced = await api.call('alice', 'POST', 'requests', wipe(` ${id} `));
    expect(spaced.status).toBe(202);
    expect(spaced.body.operation.resourceId).toBe(id);
    expectProblem(await api.call('alice', 'POST', 'requests', wipe(id)), 409, 'entity_locked');
  });

  it.each([
    ['a bidi override in the justification', { justification: 'Stolen \u202eeno-on' }, 'body.justification'],
    ['a NUL in the justification', { justification: 'Stolen\u0000' }, 'body.justification'],
    ['a justification of invisible characters only', { justification: '\u200b \u200d\u2060' }, 'body.justification'],
    [
      'a bidi isolate in the action',
      { operation: { action: 'wipe\u2066', resourceType: 'managedDevice', resourceId: SEEDED.devices.olgaLaptop } },
      'body.operation.action',
    ],
    [
      'a bidi override in a payload value',
      {
        operation: {
          action: 'wipe',
          resourceType: 'managedDevice',
          resourceId: SEEDED.devices.olgaLaptop,
          payload: { keepUserData: '\u202eeslaf' },
        },
      },
      'body.operation.payload.keepUserData',
    ],
    [
      'a zero-width joiner in a payload key',
      {
        operation: {
          action: 'wipe',
          resourceType: 'managedDevice',
          resourceId: SEEDED.devices.olgaLaptop,
          payload: { 'keep\u200dUserData': false },
        },
      },
      'body.operation.payload',
    ],
  ])('refuses %s (400 validation_failed)', async (name, change, path) => {
    const before = await storedIds();
    // Refused before the device is read: the seeded laptop is never locked.
    const refused = await api.call('alice', 'POST', 'requests', { ...wipe(SEEDED.devices.olgaLaptop), ...change });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await storedIds()).toEqual(before);
  });

  it.each([
    ['a NUL', '\u0000', 400, 'validation_failed'],
    ['a zero-width space and a blank', '\u200b ', 400, 'notes_required'],
    ['a word joiner and a no-break space', '\u2060\u00a0', 400, 'notes_required'],
  ])('does not take notes of %s as the notes a rejection needs', async (_name, notes, status, code) => {
    const submitted = await api.call(
      'alice',
      'POST',
      'requests',
      wipe(await device(`dev-notes-${code}-${notes.length}-${notes.charCodeAt(0)}`)),
    );
    expect(submitted.status).toBe(202);
    expectProblem(await api.call('carol', 'POST', `requests/${submitted.body.id}/reject`, { notes }), status, code);
    expect((await api.call('alice', 'GET', `requests/${submitted.body.id}`)).body).toMatchObject({
      status: 'needsApproval',
      decisions: [],
    });
  });

  it('refuses a policy change submitted as a plain request (422 use_policies_api) and stores nothing', async () => {
    const before = await storedIds();
    const forged = await api.call('alice', 'POST', 'requests', {
      profileType: 'operationApprovalPolicy',
      operation: {
        action: 'create',
        resourceType: 'accessPolicy',
        resourceId: 'deviceRetire',
        payload: {
          action: 'create',
          draft: { displayName: 'x', profileType: 'deviceRetire', approverGroupIds: [group] },
        },
      },
      justification: 'Please approve: harmless maintenance',
    });
    expectProblem(forged, 422, 'use_policies_api');
    expect(forged.body.detail).toContain('/api/policies');
    expect(await storedIds()).toEqual(before);
  });

  it('refuses at submit a policy for a profile type that already has one (409 policy_exists), or that a pending create locks', async () => {
    const before = await storedIds();
    const second = await api.call('alice', 'POST', 'policies', {
      displayName: 'Another',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
      justification: 'A second one',
    });
    expectProblem(second, 409, 'policy_exists');
    expect(await storedIds()).toEqual(before);

    const pending = await api.call('alice', 'POST', 'policies', {
      displayName: 'Retires',
      profileType: 'deviceRetire',
      approverGroupIds: [group],
      justification: 'Retires too',
    });
    expect(pending.status).toBe(202);
    expectProblem(
      await api.call('bob', 'POST', 'policies', {
        displayName: 'Retires, again',
        profileType: 'deviceRetire',
        approverGroupIds: [group],
        justification: 'Retires too',
      }),
      409,
      'entity_locked',
    );
  });

  it('refuses at submit approver groups the directory does not know (422 unknown_group, naming them)', async () => {
    const unknown = 'a0000000-0000-4000-8000-00000000beef';
    const before = await storedIds();
    const refused = await api.call('alice', 'POST', 'policies', {
      displayName: 'Deletes',
      profileType: 'deviceDelete',
      approverGroupIds: [group, unknown],
      justification: 'Deletes too',
    });
    expectProblem(refused, 422, 'unknown_group');
    expect(refused.body.errors).toEqual([{ path: 'approverGroupIds.1', message: expect.stringContaining(unknown) }]);
    expect(await storedIds()).toEqual(before);
    expect(
      (
        await api.call('alice', 'POST', 'policies', {
          displayName: 'Deletes',
          profileType: 'deviceDelete',
          approverGroupIds: [group.toUpperCase()],
          justification: 'Deletes too',
        })
      ).status,
    ).toBe(202);
  });

  it('refuses a policy whose name or description carries a bidi override', async () => {
    const refused = await api.call('alice', 'POST', 'policies', {
      displayName: 'Wipes \u202eDEVORPPA',
      description: 'x\u0007',
      profileType: 'app',
      approverGroupIds: [group],
      justification: 'Apps',
    });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'body.description',
      'body.displayName',
    ]);
  });
});
