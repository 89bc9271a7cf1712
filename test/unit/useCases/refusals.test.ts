import type { ApprovalRequest } from '../../../shared/domain/model';
import { isDomainError } from '../../../shared/domain/errors';
import type { AuthenticatedPrincipal } from '../../../shared/identity/principal';
import { problemFromError } from '../../../shared/http/problem';
import { latestAuditCheckpoint } from '../../../shared/ops/auditCheckpoints';
import { requireOperator } from '../../../shared/ops/useCases';
import { writeStep } from '../../../shared/ops/writeStep';
import { StoreError, type Store } from '../../../shared/store/store';
import { getPolicy } from '../../../shared/useCases/policies';
import { submitRequest } from '../../../shared/useCases/requests';
import type { UseCaseDeps } from '../../../shared/useCases/deps';
import { accessPolicy } from '../../support/builders';

// The use cases refuse with domain errors (no HTTP types); the mapper gives each the status the API
// has always answered with.

/** A store port that answers only what a test gives it (anything else is a test bug). */
function fakeStore(methods: Partial<Store>): Store {
  return new Proxy(methods as Store, {
    get: (target, name) => {
      const method = target[name as keyof Store];
      if (method === undefined) throw new Error(`the fake store has no ${String(name)}`);
      return method;
    },
  });
}

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

const request = { id: 'req-1', status: 'completed' } as ApprovalRequest;
const caller: AuthenticatedPrincipal = { id: 'dave', displayName: 'Dave', tenantId: 'tenant-1', roles: [] };

describe('use case refusals', () => {
  it('refuses a caller without MAA.Operator with not_an_operator (403, the title alone)', async () => {
    const error = await refusal(() => requireOperator(caller));
    expect(isDomainError(error, 'not_an_operator')).toBe(true);
    expect(problemFromError(error)).toEqual({
      status: 403,
      code: 'not_an_operator',
      title: 'Operations need the MAA.Operator role',
    });
  });

  it('answers not_found (404) before the first audit checkpoint', async () => {
    const store = fakeStore({ latestCheckpoint: () => Promise.resolve(undefined) });
    const error = await refusal(latestAuditCheckpoint({ store }));
    expect(problemFromError(error)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('answers not_found (404) for a policy that does not exist', async () => {
    const deps = { store: fakeStore({ getPolicy: () => Promise.resolve(undefined) }) } as unknown as UseCaseDeps;
    const error = await refusal(getPolicy(deps, 'nope'));
    expect(problemFromError(error)).toMatchObject({ status: 404, code: 'not_found', detail: "No policy 'nope'." });
  });

  it('refuses an Idempotency-Key reused with another body with idempotency_key_reused (409)', async () => {
    const store = fakeStore({
      findPolicyByProfileType: () => Promise.resolve({ value: accessPolicy(), etag: 'e1' }),
      putIdempotencyKey: (record) => Promise.resolve({ ...record, bodyHash: 'another body' }),
    });
    const directory = {
      approverCandidates: () => Promise.resolve([{ id: 'carol', displayName: 'Carol', roles: ['MAA.Approver'] }]),
    };
    const deps = { store, directory, newId: () => 'req-2', now: () => new Date(0) } as unknown as UseCaseDeps;
    const body = {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'device' },
      justification: 'j',
    };
    const error = await refusal(submitRequest(deps, { ...caller, roles: ['MAA.Requester'] }, body as never, 'key-1'));
    expect(isDomainError(error, 'idempotency_key_reused')).toBe(true);
    expect(problemFromError(error)).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
  });

  describe('writeStep (also run by the recordRedrive activity)', () => {
    it('answers not_found for a request that is gone', async () => {
      const store = fakeStore({ getRequest: () => Promise.resolve(undefined) });
      const error = await refusal(writeStep(store, 'req-1', (value) => ({ request: value, events: [] })));
      expect(isDomainError(error, 'not_found')).toBe(true);
    });

    it('answers conflict (409) when every attempt finds its trail position taken', async () => {
      let attempts = 0;
      const store = fakeStore({
        getRequest: () => Promise.resolve({ value: request, etag: 'e1' }),
        listAudit: () => Promise.resolve({ items: [] }),
        recordStep: () => {
          attempts += 1;
          return Promise.reject(new StoreError('audit_mismatch', 'seq 0 is taken'));
        },
      });
      const error = await refusal(writeStep(store, 'req-1', (value) => ({ request: value, events: [] })));
      expect(isDomainError(error, 'conflict')).toBe(true);
      expect(problemFromError(error)).toMatchObject({ status: 409, code: 'conflict' });
      expect(attempts).toBe(5);
    });

    it('passes any other store failure on unchanged', async () => {
      const failure = new StoreError('store_unavailable', 'disk full');
      const store = fakeStore({
        getRequest: () => Promise.resolve({ value: request, etag: 'e1' }),
        listAudit: () => Promise.resolve({ items: [] }),
        recordStep: () => Promise.reject(failure),
      });
      expect(await refusal(writeStep(store, 'req-1', (value) => ({ request: value, events: [] })))).toBe(failure);
    });
  });
});
