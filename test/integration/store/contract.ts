import type { AuditDigest } from '../../../shared/domain/auditDigest';
import type {
  AccessPolicy,
  ApprovalRequest,
  AuditRecord,
  ProfileType,
  RequestStatus,
  TrailHead,
} from '../../../shared/domain/model';
import { StoreError, type Page, type RequestQuery, type Store } from '../../../shared/store/store';

/** What a test may ask of a fresh store: the clock it reads (default the system clock). */
export interface StoreOptions {
  now?: () => Date;
}

/** A fresh, empty store and how to get rid of it. */
export interface StoreUnderTest {
  store: Store;
  dispose(): Promise<void>;
}

const BASE_TIME = Date.parse('2025-03-01T08:00:00.000Z');

function at(minutes: number): string {
  return new Date(BASE_TIME + minutes * 60_000).toISOString();
}

function principal(id: string) {
  return { id, displayName: `User ${id}` };
}

/** A valid policy; `overrides` adjust it. */
export function aPolicy(overrides: Partial<AccessPolicy> = {}): AccessPolicy {
  return {
    id: 'policy-1',
    displayName: 'Device wipes',
    description: 'Two admins for every wipe',
    profileType: 'deviceWipe',
    approverGroupIds: ['group-a'],
    requiredApprovals: 1,
    requestTtl: 'P30D',
    version: 1,
    createdBy: principal('admin'),
    createdAt: at(0),
    lastModifiedAt: at(0),
    ...overrides,
  };
}

interface RequestShape {
  id: string;
  profileType?: ProfileType;
  resourceId?: string | null;
  /** A bulk device action's devices (in place of `resourceId`). */
  resourceIds?: string[];
  initiator?: string;
  groups?: string[];
  status?: RequestStatus;
  minute?: number;
}

/** A valid request; `resourceId: null` leaves the operation without one. */
export function aRequest(shape: RequestShape): ApprovalRequest {
  const createdAt = at(shape.minute ?? 0);
  const resourceId = shape.resourceId === undefined ? `device-${shape.id}` : shape.resourceId;
  return {
    id: shape.id,
    profileType: shape.profileType ?? 'deviceWipe',
    operation: {
      action: 'wipe',
      resourceType: 'managedDevice',
      ...(shape.resourceIds !== undefined
        ? { resourceIds: shape.resourceIds }
        : resourceId === null
          ? {}
          : { resourceId }),
      payload: { keepEnrollmentData: false, nested: { list: [1, 'two', null] } },
    },
    operationHash: 'a'.repeat(64),
    justification: 'Lost laptop',
    initiator: principal(shape.initiator ?? 'alice'),
    policy: { id: 'policy-1', version: 1, approverGroupIds: shape.groups ?? ['group-a'], requiredApprovals: 1 },
    status: shape.status ?? 'needsApproval',
    decisions: [],
    createdAt,
    expiresAt: at(60 * 24 * 30),
    lastModifiedAt: createdAt,
  };
}

/** Audit record `seq` of `requestId`; `hash` defaults to one derived from both. */
export function anAuditRecord(
  requestId: string,
  seq: number,
  hash = `${requestId}-${seq}`.padEnd(64, '0'),
): AuditRecord {
  return {
    id: `${requestId}:${String(seq).padStart(6, '0')}`,
    requestId,
    seq,
    type: seq === 0 ? 'request.submitted' : 'request.statusChanged',
    at: at(seq),
    actor: seq === 0 ? principal('alice') : null,
    data: { step: seq, detail: { ok: true } },
    prevHash: seq === 0 ? '0'.repeat(64) : `${requestId}-${seq - 1}`.padEnd(64, '0'),
    hash,
  };
}

/** The trail head a step ending at `anAuditRecord(requestId, seq)` leaves. */
export function headAt(requestId: string, seq: number): TrailHead {
  return { seq, hash: anAuditRecord(requestId, seq).hash };
}

/** `request` as the store keeps it after a step that ended at record `seq`. */
function withTrail(request: ApprovalRequest, seq: number): ApprovalRequest {
  return { ...request, trail: headAt(request.id, seq) };
}

/** A digest of the given sequence number (not signed: the store does not check digests). */
function aDigest(sequence: number): AuditDigest {
  return {
    version: 1,
    sequence,
    from: sequence === 0 ? null : at(60 * sequence),
    to: at(60 * (sequence + 1)),
    previousDigestHash: String(sequence).padStart(64, '0'),
    heads: [{ requestId: 'r1', seq: sequence, hash: 'c'.repeat(64) }],
    digestHash: String(sequence + 1).padStart(64, '0'),
    signature: { kid: 'test-1', mac: 'm'.repeat(43) },
  };
}

async function storeErrorOf(promise: Promise<unknown>): Promise<StoreError['code']> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
  throw new Error('expected a StoreError, but the call succeeded');
}

/** Reads every page of a list, checking that each page is at most `top` long. */
async function allPages<T>(
  read: (continuationToken: string | undefined) => Promise<Page<T>>,
  top: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    const page = await read(token);
    expect(page.items.length).toBeLessThanOrEqual(top);
    pages.push(page.items);
    token = page.continuationToken;
    if (pages.length > 100) throw new Error('the list never ends');
  } while (token !== undefined);
  return pages;
}

/**
 * The behaviour every `Store` adapter must have. `factory` returns a fresh, empty store for each
 * test.
 */
export function describeStoreContract(
  name: string,
  factory: (options?: StoreOptions) => Promise<StoreUnderTest>,
): void {
  describe(`${name} store contract`, () => {
    let current: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      current = await factory();
      store = current.store;
    });

    afterEach(async () => {
      await current.dispose();
    });

    const ids = async (query: Omit<RequestQuery, 'top'> & { top?: number }) =>
      (await store.listRequests({ top: 100, ...query })).items.map((request) => request.id);

    describe('policies', () => {
      it('stores a policy and finds it by id and by profile type, with the etag of the write', async () => {
        const created = await store.createPolicy(aPolicy());
        expect(created.value).toStrictEqual(aPolicy());
        expect(created.etag).toEqual(expect.any(String));
        expect(await store.getPolicy('policy-1')).toStrictEqual(created);
        expect(await store.findPolicyByProfileType('deviceWipe')).toStrictEqual(created);
        expect(await store.getPolicy('nope')).toBeUndefined();
        expect(await store.findPolicyByProfileType('app')).toBeUndefined();
      });

      it('replaces a policy with its current etag and refuses a stale etag', async () => {
        const created = await store.createPolicy(aPolicy());
        const replaced = await store.replacePolicy(aPolicy({ displayName: 'Renamed', version: 2 }), created.etag);
        expect(replaced.etag).not.toBe(created.etag);
        expect(await store.getPolicy('policy-1')).toStrictEqual(replaced);

        expect(await storeErrorOf(store.replacePolicy(aPolicy({ version: 3 }), created.etag))).toBe(
          'precondition_failed',
        );
        expect((await store.getPolicy('policy-1'))?.value.version).toBe(2);
      });

      it('answers not_found when replacing or deleting a policy that does not exist', async () => {
        const created = await store.createPolicy(aPolicy());
        expect(await storeErrorOf(store.replacePolicy(aPolicy({ id: 'other' }), created.etag))).toBe('not_found');
        expect(await storeErrorOf(store.deletePolicy('other', created.etag))).toBe('not_found');
      });

      it('deletes a policy only with its current etag', async () => {
        const created = await store.createPolicy(aPolicy());
        const replaced = await store.replacePolicy(aPolicy({ version: 2 }), created.etag);
        expect(await storeErrorOf(store.deletePolicy('policy-1', created.etag))).toBe('precondition_failed');
        await store.deletePolicy('policy-1', replaced.etag);
        expect(await store.getPolicy('policy-1')).toBeUndefined();
        expect(await store.findPolicyByProfileType('deviceWipe')).toBeUndefined();
        expect(await storeErrorOf(store.deletePolicy('policy-1', replaced.etag))).toBe('not_found');
      });

      it('refuses a second policy with the same id or for the same profile type, until the first is gone', async () => {
        const first = await store.createPolicy(aPolicy());
        expect(await storeErrorOf(store.createPolicy(aPolicy({ profileType: 'app' })))).toBe('conflict');
        expect(await storeErrorOf(store.createPolicy(aPolicy({ id: 'policy-2' })))).toBe('conflict');
        expect(await store.getPolicy('policy-2')).toBeUndefined();

        await store.deletePolicy('policy-1', first.etag);
        await store.createPolicy(aPolicy({ id: 'policy-2' }));
        expect((await store.findPolicyByProfileType('deviceWipe'))?.value.id).toBe('policy-2');
      });

      it('moves a policy to a free profile type but not onto one another policy protects', async () => {
        const wipe = await store.createPolicy(aPolicy());
        await store.createPolicy(aPolicy({ id: 'policy-2', profileType: 'app' }));

        expect(await storeErrorOf(store.replacePolicy(aPolicy({ profileType: 'app' }), wipe.etag))).toBe('conflict');
        expect((await store.findPolicyByProfileType('app'))?.value.id).toBe('policy-2');

        await store.replacePolicy(aPolicy({ profileType: 'script' }), wipe.etag);
        expect((await store.findPolicyByProfileType('script'))?.value.id).toBe('policy-1');
        expect(await store.findPolicyByProfileType('deviceWipe')).toBeUndefined();
      });

      it('lists policies newest first across pages', async () => {
        const types: ProfileType[] = ['app', 'script', 'role', 'deviceWipe', 'deviceRetire'];
        for (const [index, profileType] of types.entries()) {
          // Two share a creation time, so the id breaks the tie.
          await store.createPolicy(aPolicy({ id: `policy-${index}`, profileType, createdAt: at(Math.min(index, 3)) }));
        }
        const pages = await allPages(
          (continuationToken) => store.listPolicies({ top: 2, ...(continuationToken ? { continuationToken } : {}) }),
          2,
        );
        expect(pages.map((page) => page.map((policy) => policy.id))).toEqual([
          ['policy-4', 'policy-3'],
          ['policy-2', 'policy-1'],
          ['policy-0'],
        ]);
        expect(pages.flat()[0]).toStrictEqual(
          aPolicy({ id: 'policy-4', profileType: 'deviceRetire', createdAt: at(3) }),
        );
      });
    });

    describe('requests', () => {
      it('stores a request and reads it back exactly, with the etag of the write', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        expect(created.value).toStrictEqual(aRequest({ id: 'r1' }));
        expect(await store.getRequest('r1')).toStrictEqual(created);
        expect(await store.getRequest('r2')).toBeUndefined();
      });

      it('refuses a second request with the same id, also when the create is retried as is', async () => {
        await store.createRequest(aRequest({ id: 'r1' }));
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r1' })))).toBe('conflict');
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r1', resourceId: 'elsewhere' })))).toBe(
          'conflict',
        );
        // The refused create must not leave the other entity locked.
        await expect(store.createRequest(aRequest({ id: 'r2', resourceId: 'elsewhere' }))).resolves.toBeDefined();
      });

      it('answers not_found for a step of a request without a read model', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        expect(
          await storeErrorOf(
            store.recordStep({
              records: [anAuditRecord('r2', 0)],
              request: { value: aRequest({ id: 'r2' }), etag: created.etag },
            }),
          ),
        ).toBe('not_found');
      });

      it('keeps optional fields of a completed request', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const completed: ApprovalRequest = {
          ...aRequest({ id: 'r1', status: 'completed' }),
          decisions: [{ approver: principal('bob'), decision: 'approve', notes: 'ok', at: at(3), source: 'link' }],
          completedAt: at(9),
          execution: { status: 'succeeded', at: at(9), detail: 'wiped' },
        };
        await store.recordStep({
          records: [anAuditRecord('r1', 0)],
          request: { value: completed, etag: created.etag },
        });
        expect((await store.getRequest('r1'))?.value).toStrictEqual(withTrail(completed, 0));
      });
    });

    describe('steps', () => {
      const trail = async (requestId: string) => (await store.listAudit(requestId, { top: 100 })).items;
      const approved = { ...aRequest({ id: 'r1', status: 'approved' }), lastModifiedAt: at(5) };
      const completed = { ...aRequest({ id: 'r1', status: 'completed' }), lastModifiedAt: at(9), completedAt: at(9) };

      it('appends the records and replaces the read model, answering its new etag', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const etag = await store.recordStep({
          records: [anAuditRecord('r1', 0), anAuditRecord('r1', 1)],
          request: { value: approved, etag: created.etag },
        });
        expect(etag).toEqual(expect.any(String));
        expect(etag).not.toBe(created.etag);
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(approved, 1), etag });
        expect(await trail('r1')).toStrictEqual([anAuditRecord('r1', 0), anAuditRecord('r1', 1)]);
      });

      it('writes only the trail head for a step without a read model, answering the new etag', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        expect(created.value.trail).toBeUndefined();
        const etag = await store.recordStep({ records: [anAuditRecord('r1', 0)] });
        expect(etag).toEqual(expect.any(String));
        expect(etag).not.toBe(created.etag);
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(created.value, 0), etag });
        expect(await trail('r1')).toStrictEqual([anAuditRecord('r1', 0)]);
      });

      it('never moves the trail head back: a late duplicate of an older step leaves head and etag alone', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        await store.recordStep({ records: [anAuditRecord('r1', 0)] });
        const etag = await store.recordStep({ records: [anAuditRecord('r1', 1), anAuditRecord('r1', 2)] });
        expect(await store.recordStep({ records: [anAuditRecord('r1', 0)] })).toBe(etag);
        expect(
          await store.recordStep({
            records: [anAuditRecord('r1', 1)],
            request: { value: approved, etag: created.etag },
          }),
        ).toBe(etag);
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(created.value, 2), etag });
      });

      it('keeps the head the step leaves, whatever head the caller passes', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const forged = { ...approved, trail: { seq: 99, hash: 'f'.repeat(64) } };
        const etag = await store.recordStep({
          records: [anAuditRecord('r1', 0)],
          request: { value: forged, etag: created.etag },
        });
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(approved, 0), etag });
      });

      it('writes only the records of a request that has no read model', async () => {
        expect(await store.recordStep({ records: [anAuditRecord('r9', 0)] })).toBeUndefined();
        expect(await store.getRequest('r9')).toBeUndefined();
        expect(await trail('r9')).toStrictEqual([anAuditRecord('r9', 0)]);
      });

      it('writes nothing twice when a step is retried, and answers the etag of the first attempt', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const step = {
          records: [anAuditRecord('r1', 0), anAuditRecord('r1', 1)],
          request: { value: approved, etag: created.etag },
        };
        const first = await store.recordStep(step);
        expect(await store.recordStep(step)).toBe(first);
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(approved, 1), etag: first });
        expect(await trail('r1')).toStrictEqual([anAuditRecord('r1', 0), anAuditRecord('r1', 1)]);
      });

      it('completes a step of which only some records were written', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        await store.recordStep({ records: [anAuditRecord('r1', 0)] });
        const etag = await store.recordStep({
          records: [0, 1, 2].map((seq) => anAuditRecord('r1', seq)),
          request: { value: approved, etag: created.etag },
        });
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(approved, 2), etag });
        expect(await trail('r1')).toStrictEqual([0, 1, 2].map((seq) => anAuditRecord('r1', seq)));
      });

      it('changes nothing for a late duplicate of an older step', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const older = { records: [anAuditRecord('r1', 0)], request: { value: approved, etag: created.etag } };
        const approvedEtag = await store.recordStep(older);
        const completedEtag = await store.recordStep({
          records: [anAuditRecord('r1', 1)],
          request: { value: completed, etag: approvedEtag! },
        });
        await store.recordStep(older);
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(completed, 1), etag: completedEtag });
        expect(await trail('r1')).toStrictEqual([anAuditRecord('r1', 0), anAuditRecord('r1', 1)]);
      });

      it('replaces the current version when the etag is stale but no later step was recorded', async () => {
        await store.createRequest(aRequest({ id: 'r1' }));
        const etag = await store.recordStep({
          records: [anAuditRecord('r1', 0)],
          request: { value: approved, etag: 'stale' },
        });
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(approved, 0), etag });
      });

      it('refuses a different record under an existing id or at an existing position, leaving the read model alone', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const etag = await store.recordStep({ records: [anAuditRecord('r1', 0)] });
        const forged = { records: [anAuditRecord('r1', 0, 'f'.repeat(64))], request: { value: approved, etag: etag! } };
        expect(await storeErrorOf(store.recordStep(forged))).toBe('audit_mismatch');
        expect(await storeErrorOf(store.recordStep({ records: [{ ...anAuditRecord('r1', 0), id: 'r1:other' }] }))).toBe(
          'audit_mismatch',
        );
        expect(await store.getRequest('r1')).toStrictEqual({ value: withTrail(created.value, 0), etag });
        expect(await trail('r1')).toStrictEqual([anAuditRecord('r1', 0)]);
      });
    });

    describe('steps of several records', () => {
      const trail = async (requestId: string) => (await store.listAudit(requestId, { top: 100 })).items;
      const records = (requestId: string, seqs: number[]) => seqs.map((seq) => anAuditRecord(requestId, seq));

      it('refuses a step that overlaps a stored step with another record, writing nothing of it', async () => {
        await store.recordStep({ records: records('r1', [0, 1, 2]) });
        const forgedInside = [anAuditRecord('r1', 1, 'f'.repeat(64)), anAuditRecord('r1', 2), anAuditRecord('r1', 3)];
        expect(await storeErrorOf(store.recordStep({ records: forgedInside }))).toBe('audit_mismatch');
        const forgedLast = [anAuditRecord('r1', 2, 'f'.repeat(64)), anAuditRecord('r1', 3)];
        expect(await storeErrorOf(store.recordStep({ records: forgedLast }))).toBe('audit_mismatch');
        const forgedFirst = [anAuditRecord('r1', 0, 'f'.repeat(64))];
        expect(await storeErrorOf(store.recordStep({ records: forgedFirst }))).toBe('audit_mismatch');
        expect(await trail('r1')).toStrictEqual(records('r1', [0, 1, 2]));
      });

      it('treats a retried step of several records as done, and appends the unstored end of an overlapping one', async () => {
        await store.recordStep({ records: records('r1', [0, 1, 2]) });
        await store.recordStep({ records: records('r1', [0, 1, 2]) });
        await store.recordStep({ records: records('r1', [1, 2]) });
        await store.recordStep({ records: records('r1', [2, 3, 4]) });
        await store.recordStep({ records: records('r1', [5, 6, 7]) });
        await store.recordStep({ records: records('r1', [6]) });
        expect(await trail('r1')).toStrictEqual(records('r1', [0, 1, 2, 3, 4, 5, 6, 7]));
      });

      it('pages a trail of multi-record steps at any page size, records cut between pages where they fall', async () => {
        for (const seqs of [[0], [1, 2, 3], [4, 5], [6, 7, 8, 9, 10, 11]])
          await store.recordStep({ records: records('r1', seqs) });
        const all = records('r1', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        for (const top of [1, 2, 3, 5, 12, 50]) {
          const pages = await allPages(
            (continuationToken) => store.listAudit('r1', { top, ...(continuationToken ? { continuationToken } : {}) }),
            top,
          );
          expect(pages.flat()).toStrictEqual(all);
          expect(pages.length).toBe(Math.max(1, Math.ceil(all.length / top)));
        }
      });

      it('leaves a later step alone when an older step is retried: head, etag and trail stay', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1' }));
        const first = {
          records: records('r1', [0, 1, 2]),
          request: { value: aRequest({ id: 'r1' }), etag: created.etag },
        };
        const afterFirst = await store.recordStep(first);
        const later = await store.recordStep({
          records: records('r1', [3, 4]),
          request: { value: aRequest({ id: 'r1', status: 'cancelled' }), etag: afterFirst! },
        });
        expect(await store.recordStep(first)).toBe(later);
        expect((await store.getRequest('r1'))?.value).toStrictEqual({
          ...aRequest({ id: 'r1', status: 'cancelled' }),
          trail: headAt('r1', 4),
        });
        expect(await trail('r1')).toStrictEqual(records('r1', [0, 1, 2, 3, 4]));
      });
    });

    describe('entity lock', () => {
      it('refuses a second open request on the same profile type and resource', async () => {
        await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
        expect(
          await storeErrorOf(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1', initiator: 'bob' }))),
        ).toBe('entity_locked');
        expect(await store.getRequest('r2')).toBeUndefined();
      });

      it('treats GUID resource ids case-insensitively (one device, however its id is spelled), other ids exactly', async () => {
        await store.createRequest(aRequest({ id: 'r1', resourceId: '0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D' }));
        expect(
          await storeErrorOf(
            store.createRequest(aRequest({ id: 'r2', resourceId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' })),
          ),
        ).toBe('entity_locked');
        await store.createRequest(aRequest({ id: 'r3', resourceId: 'Device-9' }));
        await expect(store.createRequest(aRequest({ id: 'r4', resourceId: 'device-9' }))).resolves.toBeDefined();
      });

      it('keeps the lock while the request is approved and releases it when the request closes', async () => {
        const created = await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
        const approved = await store.recordStep({
          records: [anAuditRecord('r1', 0)],
          request: { value: aRequest({ id: 'r1', resourceId: 'device-1', status: 'approved' }), etag: created.etag },
        });
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' })))).toBe(
          'entity_locked',
        );

        await store.recordStep({
          records: [anAuditRecord('r1', 1)],
          request: { value: aRequest({ id: 'r1', resourceId: 'device-1', status: 'completed' }), etag: approved! },
        });
        await store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }));
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r3', resourceId: 'device-1' })))).toBe(
          'entity_locked',
        );
      });

      it.each<RequestStatus>(['rejected', 'cancelled', 'expired'])(
        'releases the lock when the request becomes %s',
        async (status) => {
          const created = await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
          await store.recordStep({
            records: [anAuditRecord('r1', 0)],
            request: { value: aRequest({ id: 'r1', resourceId: 'device-1', status }), etag: created.etag },
          });
          await expect(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }))).resolves.toBeDefined();
        },
      );

      it('does not lock other resources, other profile types, or operations without a resource', async () => {
        await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
        await store.createRequest(aRequest({ id: 'r2', resourceId: 'device-2' }));
        await store.createRequest(aRequest({ id: 'r3', resourceId: 'device-1', profileType: 'deviceRetire' }));
        await store.createRequest(aRequest({ id: 'r4', resourceId: null }));
        await store.createRequest(aRequest({ id: 'r5', resourceId: null }));
        expect(await ids({ view: { kind: 'all' } })).toHaveLength(5);
      });

      it('locks every device of a bulk request: a single or bulk request on any of them is refused, naming the devices held', async () => {
        await store.createRequest(aRequest({ id: 'b1', resourceIds: ['device-1', 'device-2', 'device-3'] }));
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-2' })))).toBe(
          'entity_locked',
        );
        const refusal = await store
          .createRequest(aRequest({ id: 'b2', resourceIds: ['device-9', 'device-3', 'device-1'] }))
          .catch((error: unknown) => error as StoreError);
        expect(refusal).toMatchObject({ code: 'entity_locked' });
        expect((refusal as StoreError).message).toMatch(/device-3/);
        expect((refusal as StoreError).message).toMatch(/device-1/);
        expect((refusal as StoreError).message).not.toMatch(/device-9/);
        expect(await store.getRequest('r2')).toBeUndefined();
        expect(await store.getRequest('b2')).toBeUndefined();
        // All or nothing: the refused bulk holds none of its devices, not even the free one.
        await expect(store.createRequest(aRequest({ id: 'r3', resourceId: 'device-9' }))).resolves.toBeDefined();
      });

      it('refuses a bulk request on a device a single request holds, and holds nothing of it', async () => {
        await store.createRequest(aRequest({ id: 'r1', resourceId: '0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D' }));
        expect(
          await storeErrorOf(
            store.createRequest(
              aRequest({ id: 'b1', resourceIds: ['device-5', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'device-6'] }),
            ),
          ),
        ).toBe('entity_locked');
        await expect(
          store.createRequest(aRequest({ id: 'b2', resourceIds: ['device-5', 'device-6'] })),
        ).resolves.toBeDefined();
      });

      it("keeps a bulk request's devices locked while approved and releases every one when it closes", async () => {
        const devices = ['device-1', 'device-2'];
        const created = await store.createRequest(aRequest({ id: 'b1', resourceIds: devices }));
        const approved = await store.recordStep({
          records: [anAuditRecord('b1', 0)],
          request: { value: aRequest({ id: 'b1', resourceIds: devices, status: 'approved' }), etag: created.etag },
        });
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' })))).toBe(
          'entity_locked',
        );
        await store.recordStep({
          records: [anAuditRecord('b1', 1)],
          request: { value: aRequest({ id: 'b1', resourceIds: devices, status: 'completed' }), etag: approved! },
        });
        await store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }));
        await store.createRequest(aRequest({ id: 'b3', resourceIds: ['device-2', 'device-3'] }));
      });

      it('lets exactly one of two bulk requests racing for shared devices hold them, the other holding none', async () => {
        const results = await Promise.allSettled([
          store.createRequest(aRequest({ id: 'b1', resourceIds: ['device-1', 'device-2', 'device-3'] })),
          store.createRequest(aRequest({ id: 'b2', resourceIds: ['device-4', 'device-3', 'device-2'] })),
        ]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const lost = results.findIndex((result) => result.status === 'rejected');
        expect((results[lost] as PromiseRejectedResult).reason).toMatchObject({ code: 'entity_locked' });
        // The loser's own device is free again.
        await expect(
          store.createRequest(aRequest({ id: 'r9', resourceId: lost === 0 ? 'device-1' : 'device-4' })),
        ).resolves.toBeDefined();
      });

      it('lets a bulk request of another profile type take the same devices', async () => {
        await store.createRequest(aRequest({ id: 'b1', resourceIds: ['device-1', 'device-2'] }));
        await expect(
          store.createRequest(
            aRequest({ id: 'b2', resourceIds: ['device-1', 'device-2'], profileType: 'deviceRetire' }),
          ),
        ).resolves.toBeDefined();
      });

      it('answers a retried create of a bulk request with conflict and keeps its locks', async () => {
        await store.createRequest(aRequest({ id: 'b1', resourceIds: ['device-1', 'device-2'] }));
        expect(
          await storeErrorOf(store.createRequest(aRequest({ id: 'b1', resourceIds: ['device-1', 'device-2'] }))),
        ).toBe('conflict');
        expect(await storeErrorOf(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-2' })))).toBe(
          'entity_locked',
        );
      });
    });

    describe('request lists', () => {
      // minute: newest has the highest number; the list order is by createdAt, then id, descending.
      const fixtures: RequestShape[] = [
        { id: 'r01', initiator: 'alice', groups: ['group-a'], status: 'needsApproval', minute: 1 },
        { id: 'r02', initiator: 'bob', groups: ['group-a'], status: 'needsApproval', minute: 2 },
        { id: 'r03', initiator: 'bob', groups: ['group-b'], status: 'needsApproval', minute: 3 },
        { id: 'r04', initiator: 'carol', groups: ['group-a', 'group-b'], status: 'approved', minute: 4 },
        { id: 'r05', initiator: 'alice', groups: ['group-c'], status: 'needsApproval', minute: 5 },
        { id: 'r06', initiator: 'carol', groups: ['group-b', 'group-c'], status: 'needsApproval', minute: 6 },
        { id: 'r07', initiator: 'bob', groups: ['group-a'], status: 'rejected', minute: 7 },
      ];

      beforeEach(async () => {
        for (const shape of fixtures) await store.createRequest(aRequest(shape));
      });

      it('lists all requests newest first, optionally by status', async () => {
        expect(await ids({ view: { kind: 'all' } })).toEqual(['r07', 'r06', 'r05', 'r04', 'r03', 'r02', 'r01']);
        expect(await ids({ view: { kind: 'all' }, status: 'needsApproval' })).toEqual([
          'r06',
          'r05',
          'r03',
          'r02',
          'r01',
        ]);
        expect(await ids({ view: { kind: 'all' }, status: 'expired' })).toEqual([]);
        const [newest] = (await store.listRequests({ view: { kind: 'all' }, top: 1 })).items;
        expect(newest).toStrictEqual(aRequest(fixtures[6] as RequestShape));
      });

      it('lists mine: only what the caller initiated', async () => {
        expect(await ids({ view: { kind: 'mine', initiatorId: 'bob' } })).toEqual(['r07', 'r03', 'r02']);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'bob' }, status: 'needsApproval' })).toEqual([
          'r03',
          'r02',
        ]);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'nobody' } })).toEqual([]);
      });

      it('lists received: requests of the caller’s groups that the caller did not initiate', async () => {
        expect(
          await ids({ view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: false } }),
        ).toEqual(['r07', 'r04', 'r02']);
        expect(
          await ids({ view: { kind: 'received', principalId: 'bob', groupIds: ['group-a'], bootstrap: false } }),
        ).toEqual(['r04', 'r01']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: false },
            status: 'needsApproval',
          }),
        ).toEqual(['r02']);
      });

      it('lists a request of several of the caller’s groups once', async () => {
        expect(
          await ids({
            view: {
              kind: 'received',
              principalId: 'dave',
              groupIds: ['group-b', 'group-c', 'group-b'],
              bootstrap: false,
            },
          }),
        ).toEqual(['r06', 'r05', 'r04', 'r03']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: ['group-a', 'group-b'], bootstrap: false },
            status: 'needsApproval',
          }),
        ).toEqual(['r06', 'r03', 'r02', 'r01']);
      });

      it('lists received bootstrap policy changes to policy admins (bootstrap: true) who did not initiate them, alone or with their groups', async () => {
        const bootstrapChange = (id: string, initiator: string, minute: number): ApprovalRequest => ({
          ...aRequest({ id, initiator, minute, profileType: 'operationApprovalPolicy', resourceId: null }),
          policy: { id: 'bootstrap', version: 0, approverGroupIds: [], requiredApprovals: 1 },
        });
        await store.createRequest(bootstrapChange('b1', 'alice', 8));
        const b2 = await store.createRequest(bootstrapChange('b2', 'bob', 9));
        expect(
          await ids({ view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: true } }),
        ).toEqual(['b2', 'r07', 'r04', 'r02']);
        expect(
          await ids({ view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: false } }),
        ).toEqual(['r07', 'r04', 'r02']);
        expect(await ids({ view: { kind: 'received', principalId: 'dave', groupIds: [], bootstrap: true } })).toEqual([
          'b2',
          'b1',
        ]);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: ['group-c'], bootstrap: true },
            status: 'needsApproval',
          }),
        ).toEqual(['b2', 'b1', 'r06', 'r05']);
        // The view follows the status of a bootstrap request as it changes.
        await store.recordStep({
          records: [anAuditRecord('b2', 0)],
          request: { value: { ...b2.value, status: 'approved', lastModifiedAt: at(10) }, etag: b2.etag },
        });
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: [], bootstrap: true },
            status: 'needsApproval',
          }),
        ).toEqual(['b1']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: [], bootstrap: true },
            status: 'approved',
          }),
        ).toEqual(['b2']);
      });

      it('lists nothing received for a caller in no approver group', async () => {
        expect(await ids({ view: { kind: 'received', principalId: 'dave', groupIds: [], bootstrap: false } })).toEqual(
          [],
        );
        expect(
          await ids({ view: { kind: 'received', principalId: 'dave', groupIds: ['group-z'], bootstrap: false } }),
        ).toEqual([]);
      });

      it('follows status changes in every view', async () => {
        const r02 = await store.getRequest('r02');
        await store.recordStep({
          records: [anAuditRecord('r02', 0)],
          request: { value: { ...aRequest(fixtures[1] as RequestShape), status: 'approved' }, etag: r02?.etag ?? '' },
        });
        expect(
          await ids({
            view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: false },
            status: 'needsApproval',
          }),
        ).toEqual([]);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'alice', groupIds: ['group-a'], bootstrap: false },
            status: 'approved',
          }),
        ).toEqual(['r04', 'r02']);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'bob' }, status: 'approved' })).toEqual(['r02']);
        expect(await ids({ view: { kind: 'all' }, status: 'needsApproval' })).toEqual(['r06', 'r05', 'r03', 'r01']);
      });

      it('refuses a continuation token it did not issue', async () => {
        expect(
          await storeErrorOf(store.listRequests({ view: { kind: 'all' }, top: 5, continuationToken: 'not a token' })),
        ).toBe('invalid_continuation');
        const audit = await store.listAudit('r01', { top: 1 });
        expect(audit.continuationToken).toBeUndefined();
        await store.recordStep({ records: [anAuditRecord('r01', 0), anAuditRecord('r01', 1)] });
        const token = (await store.listAudit('r01', { top: 1 })).continuationToken;
        expect(token).toEqual(expect.any(String));
        expect(
          await storeErrorOf(store.listRequests({ view: { kind: 'all' }, top: 5, continuationToken: token as string })),
        ).toBe('invalid_continuation');
      });
    });

    describe('request pagination', () => {
      // 23 requests; several share a creation time, so pages must break ties by id.
      const shapes: RequestShape[] = Array.from({ length: 23 }, (_, index) => ({
        id: `p${String(index).padStart(2, '0')}`,
        initiator: index % 4 === 0 ? 'alice' : 'bob',
        groups: index % 3 === 0 ? ['group-a', 'group-b'] : ['group-a'],
        status: index % 5 === 0 ? 'approved' : 'needsApproval',
        minute: Math.floor(index / 3),
      }));
      const newestFirst = [...shapes].sort((a, b) => (b.minute ?? 0) - (a.minute ?? 0) || (a.id < b.id ? 1 : -1));

      beforeEach(async () => {
        // Created in shuffled order: the order of writes must not matter.
        for (const shape of [...shapes].reverse().filter((_, i) => i % 2 === 0))
          await store.createRequest(aRequest(shape));
        for (const shape of [...shapes].reverse().filter((_, i) => i % 2 === 1))
          await store.createRequest(aRequest(shape));
      });

      const cases: {
        label: string;
        query: Omit<RequestQuery, 'top' | 'continuationToken'>;
        expected: RequestShape[];
      }[] = [
        { label: 'all', query: { view: { kind: 'all' } }, expected: newestFirst },
        {
          label: 'all needing approval',
          query: { view: { kind: 'all' }, status: 'needsApproval' },
          expected: newestFirst.filter((shape) => shape.status === 'needsApproval'),
        },
        {
          label: 'mine',
          query: { view: { kind: 'mine', initiatorId: 'bob' } },
          expected: newestFirst.filter((shape) => shape.initiator === 'bob'),
        },
        {
          label: 'received needing approval',
          query: {
            view: { kind: 'received', principalId: 'alice', groupIds: ['group-b', 'group-a'], bootstrap: false },
            status: 'needsApproval',
          },
          expected: newestFirst.filter((shape) => shape.status === 'needsApproval' && shape.initiator !== 'alice'),
        },
      ];

      it.each(cases)('pages through $label without gaps or repeats', async ({ query, expected }) => {
        const pages = await allPages(
          (continuationToken) =>
            store.listRequests({ ...query, top: 4, ...(continuationToken ? { continuationToken } : {}) }),
          4,
        );
        expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
        expect(pages.flat().map((request) => request.id)).toEqual(expected.map((shape) => shape.id));
      });

      it('returns no continuation token when the last page is exactly full', async () => {
        const page = await store.listRequests({ view: { kind: 'all' }, top: 23 });
        expect(page.items).toHaveLength(23);
        expect(page.continuationToken).toBeUndefined();
      });

      it('continues after the last item seen even when newer requests arrive meanwhile', async () => {
        const first = await store.listRequests({ view: { kind: 'all' }, top: 10 });
        await store.createRequest(aRequest({ id: 'zz-new', minute: 100 }));
        const rest = await allPages(
          (continuationToken) =>
            store.listRequests({
              view: { kind: 'all' },
              top: 10,
              continuationToken: continuationToken ?? (first.continuationToken as string),
            }),
          10,
        );
        expect([...first.items, ...rest.flat()].map((request) => request.id)).toEqual(
          newestFirst.map((shape) => shape.id),
        );
      });
    });

    describe('request search', () => {
      // Device GUIDs in mixed case: the target filter finds them however they are spelled.
      const DEVICE_1 = 'D3A1C0DE-0000-4000-8000-000000000001';
      const DEVICE_2 = 'd3a1c0de-0000-4000-8000-000000000002';
      const DEVICE_3 = 'd3a1c0de-0000-4000-8000-000000000003';
      const fixtures: RequestShape[] = [
        { id: 's01', initiator: 'alice', groups: ['group-a'], minute: 1, resourceId: DEVICE_1 },
        { id: 's02', initiator: 'bob', groups: ['group-a'], minute: 2, resourceIds: [DEVICE_2, DEVICE_3] },
        {
          id: 's03',
          initiator: 'alice',
          groups: ['group-a'],
          minute: 3,
          profileType: 'deviceRetire',
          resourceId: DEVICE_2.toUpperCase(),
        },
        { id: 's04', initiator: 'carol', groups: ['group-b'], minute: 4, status: 'rejected', resourceId: DEVICE_1 },
        { id: 's05', initiator: 'bob', groups: ['group-a'], minute: 5, profileType: 'app', resourceId: 'app-Blue' },
        { id: 's06', initiator: 'alice', groups: ['group-a'], minute: 6, status: 'completed', resourceId: DEVICE_3 },
        { id: 's07', initiator: 'bob', groups: ['group-a', 'group-b'], minute: 7, resourceId: null },
      ];
      const all = { kind: 'all' } as const;

      beforeEach(async () => {
        for (const shape of fixtures) await store.createRequest(aRequest(shape));
      });

      it('finds requests by profile type, alone and with status', async () => {
        expect(await ids({ view: all, profileType: 'deviceWipe' })).toEqual(['s07', 's06', 's04', 's02', 's01']);
        expect(await ids({ view: all, profileType: 'deviceRetire' })).toEqual(['s03']);
        expect(await ids({ view: all, profileType: 'deviceWipe', status: 'needsApproval' })).toEqual([
          's07',
          's02',
          's01',
        ]);
        expect(await ids({ view: all, profileType: 'script' })).toEqual([]);
      });

      it('finds requests by initiator, in every view', async () => {
        expect(await ids({ view: all, initiatorId: 'alice' })).toEqual(['s06', 's03', 's01']);
        expect(await ids({ view: all, initiatorId: 'alice', status: 'completed' })).toEqual(['s06']);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'bob' }, initiatorId: 'bob' })).toEqual([
          's07',
          's05',
          's02',
        ]);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'bob' }, initiatorId: 'alice' })).toEqual([]);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'alice', groupIds: ['group-a', 'group-b'], bootstrap: false },
            initiatorId: 'bob',
          }),
        ).toEqual(['s07', 's05', 's02']);
      });

      it('finds requests by target: the resource id or any device of a bulk action, in any letter case', async () => {
        expect(await ids({ view: all, target: DEVICE_1.toLowerCase() })).toEqual(['s04', 's01']);
        expect(await ids({ view: all, target: DEVICE_2 })).toEqual(['s03', 's02']);
        expect(await ids({ view: all, target: DEVICE_3.toUpperCase() })).toEqual(['s06', 's02']);
        expect(await ids({ view: all, target: 'APP-BLUE' })).toEqual(['s05']);
        expect(await ids({ view: all, target: 'd3a1c0de' })).toEqual([]);
        expect(await ids({ view: all, target: DEVICE_2, profileType: 'deviceWipe' })).toEqual(['s02']);
        expect(await ids({ view: all, target: DEVICE_1, status: 'rejected', initiatorId: 'carol' })).toEqual(['s04']);
        expect(await ids({ view: { kind: 'mine', initiatorId: 'alice' }, target: DEVICE_2 })).toEqual(['s03']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'carol', groupIds: ['group-a'], bootstrap: false },
            target: DEVICE_3,
          }),
        ).toEqual(['s06', 's02']);
      });

      it('finds requests created in a range: from inclusive, to exclusive', async () => {
        expect(await ids({ view: all, createdFrom: at(3), createdTo: at(6) })).toEqual(['s05', 's04', 's03']);
        expect(await ids({ view: all, createdFrom: at(6) })).toEqual(['s07', 's06']);
        expect(await ids({ view: all, createdTo: at(2) })).toEqual(['s01']);
        expect(await ids({ view: all, createdFrom: at(3), createdTo: at(3) })).toEqual([]);
        expect(await ids({ view: all, createdFrom: at(1), createdTo: at(7), target: DEVICE_2 })).toEqual([
          's03',
          's02',
        ]);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'carol', groupIds: ['group-a'], bootstrap: false },
            createdFrom: at(2),
            createdTo: at(6),
            profileType: 'deviceWipe',
          }),
        ).toEqual(['s02']);
      });

      it('combines every filter, and profile type and target with the received view', async () => {
        expect(
          await ids({
            view: all,
            status: 'needsApproval',
            profileType: 'deviceWipe',
            initiatorId: 'bob',
            target: DEVICE_3,
            createdFrom: at(0),
            createdTo: at(10),
          }),
        ).toEqual(['s02']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: ['group-a'], bootstrap: false },
            profileType: 'deviceRetire',
            status: 'needsApproval',
          }),
        ).toEqual(['s03']);
        expect(
          await ids({
            view: { kind: 'received', principalId: 'dave', groupIds: ['group-b'], bootstrap: false },
            target: DEVICE_1,
          }),
        ).toEqual(['s04']);
      });

      it('follows status changes under a target filter', async () => {
        const s01 = await store.getRequest('s01');
        await store.recordStep({
          records: [anAuditRecord('s01', 0)],
          request: { value: { ...aRequest(fixtures[0] as RequestShape), status: 'cancelled' }, etag: s01?.etag ?? '' },
        });
        expect(await ids({ view: all, target: DEVICE_1, status: 'needsApproval' })).toEqual([]);
        expect(await ids({ view: all, target: DEVICE_1, status: 'cancelled' })).toEqual(['s01']);
      });

      it('pages through filtered results without gaps or repeats', async () => {
        for (let index = 0; index < 9; index += 1)
          await store.createRequest(
            aRequest({
              id: `t${index}`,
              initiator: index % 2 === 0 ? 'alice' : 'bob',
              minute: 10 + Math.floor(index / 2),
              resourceIds: [`dev-${index}`, 'Shared-Device'],
              profileType: 'deviceRetire',
              // Closed, so that they hold no lock of the device they share.
              status: 'completed',
            }),
          );
        const cases: { query: Omit<RequestQuery, 'top' | 'continuationToken'>; expected: string[] }[] = [
          {
            query: { view: all, target: 'shared-device' },
            expected: ['t8', 't7', 't6', 't5', 't4', 't3', 't2', 't1', 't0'],
          },
          {
            query: { view: all, target: 'SHARED-DEVICE', initiatorId: 'alice' },
            expected: ['t8', 't6', 't4', 't2', 't0'],
          },
          {
            query: { view: all, profileType: 'deviceRetire', createdFrom: at(3) },
            expected: ['t8', 't7', 't6', 't5', 't4', 't3', 't2', 't1', 't0', 's03'],
          },
          {
            query: {
              view: { kind: 'received', principalId: 'bob', groupIds: ['group-a'], bootstrap: false },
              profileType: 'deviceRetire',
            },
            expected: ['t8', 't6', 't4', 't2', 't0', 's03'],
          },
        ];
        for (const { query, expected } of cases) {
          const pages = await allPages(
            (continuationToken) =>
              store.listRequests({ ...query, top: 2, ...(continuationToken ? { continuationToken } : {}) }),
            2,
          );
          expect(pages.flat().map((request) => request.id)).toEqual(expected);
        }
      });
    });

    describe('audit by time', () => {
      const record = (requestId: string, seq: number, minute: number): AuditRecord => ({
        ...anAuditRecord(requestId, seq),
        at: at(minute),
      });

      it('lists the records of every trail in a time range by (at, request, seq), across pages', async () => {
        await store.recordStep({ records: [record('a1', 0, 1), record('a1', 1, 5)] });
        await store.recordStep({ records: [record('a2', 0, 2), record('a2', 1, 5), record('a2', 2, 9)] });
        await store.recordStep({ records: [record('a3', 0, 5)] });
        const key = (r: AuditRecord) => `${r.requestId}:${r.seq}`;
        const pages = await allPages(
          (continuationToken) =>
            store.listAuditByTime(
              { from: at(2), to: at(9) },
              { top: 2, ...(continuationToken ? { continuationToken } : {}) },
            ),
          2,
        );
        expect(pages.flat().map(key)).toEqual(['a2:0', 'a1:1', 'a2:1', 'a3:0']);
        expect((await store.listAuditByTime({ from: at(0), to: at(100) }, { top: 100 })).items).toHaveLength(6);
        expect((await store.listAuditByTime({ from: at(1), to: at(1) }, { top: 100 })).items).toEqual([]);
        const [first] = (await store.listAuditByTime({ from: at(9), to: at(10) }, { top: 1 })).items;
        expect(first).toStrictEqual(record('a2', 2, 9));
      });

      it('pages interleaving steps of several trails one record at a time without losing any', async () => {
        // Each step's records carry different times, and the steps of the trails interleave in time.
        await store.recordStep({ records: [record('b1', 0, 1), record('b1', 1, 9)] });
        await store.recordStep({ records: [record('b2', 0, 2), record('b2', 1, 8)] });
        await store.recordStep({ records: [record('b3', 0, 3), record('b3', 1, 3), record('b3', 2, 7)] });
        await store.recordStep({ records: [record('b1', 2, 9), record('b1', 3, 10)] });
        const key = (r: AuditRecord) => `${r.requestId}:${r.seq}`;
        const expected = ['b1:0', 'b2:0', 'b3:0', 'b3:1', 'b3:2', 'b2:1', 'b1:1', 'b1:2'];
        for (const top of [1, 2, 3]) {
          const pages = await allPages(
            (continuationToken) =>
              store.listAuditByTime(
                { from: at(0), to: at(10) },
                { top, ...(continuationToken ? { continuationToken } : {}) },
              ),
            top,
          );
          expect(pages.flat().map(key)).toEqual(expected);
        }
        const inside = await allPages(
          (continuationToken) =>
            store.listAuditByTime(
              { from: at(3), to: at(9) },
              { top: 1, ...(continuationToken ? { continuationToken } : {}) },
            ),
          1,
        );
        expect(inside.flat().map(key)).toEqual(['b3:0', 'b3:1', 'b3:2', 'b2:1']);
      });

      it('refuses a continuation token of another list', async () => {
        await store.recordStep({ records: [record('a1', 0, 1), record('a1', 1, 2)] });
        const token = (await store.listAudit('a1', { top: 1 })).continuationToken as string;
        expect(
          await storeErrorOf(store.listAuditByTime({ from: at(0), to: at(9) }, { top: 1, continuationToken: token })),
        ).toBe('invalid_continuation');
      });
    });

    describe('audit', () => {
      it('lists a trail in seq order across pages, apart from other trails', async () => {
        await store.recordStep({ records: [0, 1, 2].map((seq) => anAuditRecord('r1', seq)) });
        for (const seq of [3, 4]) await store.recordStep({ records: [anAuditRecord('r1', seq)] });
        await store.recordStep({ records: [anAuditRecord('r2', 0)] });

        const pages = await allPages(
          (continuationToken) => store.listAudit('r1', { top: 2, ...(continuationToken ? { continuationToken } : {}) }),
          2,
        );
        expect(pages.map((page) => page.map((record) => record.seq))).toEqual([[0, 1], [2, 3], [4]]);
        expect(pages.flat()).toStrictEqual([0, 1, 2, 3, 4].map((seq) => anAuditRecord('r1', seq)));
        expect((await store.listAudit('r2', { top: 10 })).items).toStrictEqual([anAuditRecord('r2', 0)]);
        expect(await store.listAudit('r3', { top: 10 })).toStrictEqual({ items: [] });
      });

      it('orders a trail by seq, not by arrival, past ten records', async () => {
        for (const seq of [10, 2, 0, 11, 1]) await store.recordStep({ records: [anAuditRecord('r1', seq)] });
        expect((await store.listAudit('r1', { top: 100 })).items.map((record) => record.seq)).toEqual([
          0, 1, 2, 10, 11,
        ]);
      });

      describe('the record at a position', () => {
        // A step's records share its time (on Cosmos DB: one item per step).
        const stepOf = (requestId: string, seqs: number[]) =>
          seqs.map((seq) => ({ ...anAuditRecord(requestId, seq), at: anAuditRecord(requestId, seqs[0]!).at }));

        it('answers the first record, one inside a step, the last of a step and the last of the trail', async () => {
          const steps = [stepOf('r1', [0]), stepOf('r1', [1, 2, 3]), stepOf('r1', [4, 5])];
          for (const records of steps) await store.recordStep({ records });
          const written = steps.flat();
          for (const seq of [0, 1, 2, 3, 4, 5])
            expect(await store.auditRecordAt('r1', seq)).toStrictEqual(written[seq]);
        });

        it('answers nothing past the end of a trail, or for a request without one', async () => {
          await store.recordStep({ records: stepOf('r1', [0]) });
          await store.recordStep({ records: stepOf('r1', [1, 2]) });
          expect(await store.auditRecordAt('r1', 3)).toBeUndefined();
          expect(await store.auditRecordAt('r1', 100)).toBeUndefined();
          expect(await store.auditRecordAt('r2', 0)).toBeUndefined();
        });

        it("never answers a record of another request's trail", async () => {
          await store.recordStep({ records: stepOf('r1', [0, 1, 2]) });
          await store.recordStep({ records: stepOf('r2', [0]) });
          // Another trail holding the positions asked for, in a step that starts after r1's.
          await store.recordStep({ records: stepOf('r0', [0, 1]) });
          await store.recordStep({ records: stepOf('r0', [2, 3]) });
          expect(await store.auditRecordAt('r2', 0)).toStrictEqual(stepOf('r2', [0])[0]);
          expect(await store.auditRecordAt('r2', 1)).toBeUndefined();
          expect(await store.auditRecordAt('r1', 3)).toBeUndefined();
          expect(await store.auditRecordAt('r1', 2)).toStrictEqual(stepOf('r1', [0, 1, 2])[2]);
        });
      });

      it('lists the trail heads written since a time, and every trail with or without its request', async () => {
        const before = new Date(Date.now() - 60_000).toISOString();
        for (const id of ['r1', 'r2']) await store.createRequest(aRequest({ id }));
        await store.recordStep({ records: [anAuditRecord('r1', 0), anAuditRecord('r1', 1)] });
        await store.recordStep({ records: [anAuditRecord('r2', 0)] });
        await store.recordStep({ records: [anAuditRecord('r3', 0)] });
        const heads = await store.listTrailHeadsSince(before);
        expect(heads.sort((a, b) => a.requestId.localeCompare(b.requestId))).toStrictEqual([
          { requestId: 'r1', ...headAt('r1', 1) },
          { requestId: 'r2', ...headAt('r2', 0) },
        ]);
        expect(await store.listTrailHeadsSince(new Date(Date.now() + 60_000).toISOString())).toStrictEqual([]);
        expect(await store.listTrailIds()).toStrictEqual(['r1', 'r2', 'r3']);
      });
    });

    describe('clock', () => {
      it('stamps trail heads with the clock it was given, not the system clock', async () => {
        const clocked = await factory({ now: () => new Date('2040-06-01T12:00:00.000Z') });
        try {
          await clocked.store.createRequest(aRequest({ id: 'r1' }));
          await clocked.store.recordStep({ records: [anAuditRecord('r1', 0)] });
          expect(await clocked.store.listTrailHeadsSince('2040-06-01T11:59:00.000Z')).toStrictEqual([
            { requestId: 'r1', ...headAt('r1', 0) },
          ]);
          expect(await clocked.store.listTrailHeadsSince('2040-06-01T12:01:00.000Z')).toStrictEqual([]);
        } finally {
          await clocked.dispose();
        }
      });
    });

    describe('audit checkpoints', () => {
      it('keeps digests in sequence order, pages them and answers the latest', async () => {
        expect(await store.latestCheckpoint()).toBeUndefined();
        expect(await store.listCheckpoints(-1, 10)).toStrictEqual([]);
        for (const sequence of [0, 1, 2]) await store.appendCheckpoint(aDigest(sequence));
        expect(await store.listCheckpoints(-1, 2)).toStrictEqual([aDigest(0), aDigest(1)]);
        expect(await store.listCheckpoints(1, 10)).toStrictEqual([aDigest(2)]);
        expect(await store.latestCheckpoint()).toStrictEqual(aDigest(2));
      });

      it('refuses a second digest with a sequence number that is taken', async () => {
        await store.appendCheckpoint(aDigest(0));
        expect(await storeErrorOf(store.appendCheckpoint({ ...aDigest(0), digestHash: 'e'.repeat(64) }))).toBe(
          'conflict',
        );
        expect(await store.listCheckpoints(-1, 10)).toStrictEqual([aDigest(0)]);
      });
    });

    describe('idempotency keys', () => {
      const record = { key: 'key-1', principalId: 'alice', bodyHash: 'b1', requestId: 'r1', createdAt: at(0) };

      it('keeps the first record of a key and returns it to later writers', async () => {
        expect(await store.putIdempotencyKey(record)).toStrictEqual(record);
        expect(
          await store.putIdempotencyKey({ ...record, bodyHash: 'b2', requestId: 'r2', createdAt: at(1) }),
        ).toStrictEqual(record);
      });

      it('keeps keys apart per principal', async () => {
        await store.putIdempotencyKey(record);
        const bobs = { ...record, principalId: 'bob', requestId: 'r9' };
        expect(await store.putIdempotencyKey(bobs)).toStrictEqual(bobs);
        expect(await store.putIdempotencyKey({ ...record, key: 'key/2?#' })).toStrictEqual({
          ...record,
          key: 'key/2?#',
        });
      });
    });

    describe('link ids', () => {
      it('consumes a link id once', async () => {
        expect(await store.consumeLinkId('link-1', at(60))).toBe(true);
        expect(await store.consumeLinkId('link-1', at(60))).toBe(false);
        expect(await store.consumeLinkId('link/2', at(60))).toBe(true);
      });

      it('refuses a link id again even when its link has already expired', async () => {
        const past = new Date(Date.now() - 60_000).toISOString();
        expect(await store.consumeLinkId('link-old', past)).toBe(true);
        expect(await store.consumeLinkId('link-old', past)).toBe(false);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('takes write probes, again and again, without changing what the lists and reads return', async () => {
      await store.createRequest(aRequest({ id: 'req-probe' }));
      const before = await store.listRequests({ view: { kind: 'all' }, top: 100 });
      for (let i = 0; i < 3; i++) await expect(store.probeWrite()).resolves.toBeUndefined();
      expect(await store.listRequests({ view: { kind: 'all' }, top: 100 })).toEqual(before);
      expect(await store.listPolicies({ top: 100 })).toEqual({ items: [] });
      expect(await store.getRequest('write-probe')).toBeUndefined();
      expect(await store.consumeLinkId('write-probe', at(60))).toBe(true);
    });
  });
}
