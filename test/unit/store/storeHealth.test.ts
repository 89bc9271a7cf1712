import { problemFromError } from '../../../shared/http/problem';
import { cosmosUnavailable } from '../../../shared/store/cosmosStore';
import { StoreHealth } from '../../../shared/store/healthProbe';
import { sqliteUnavailable } from '../../../shared/store/sqliteStore';
import { StoreError, type Store } from '../../../shared/store/store';
import { reportingUnavailable } from '../../../shared/store/unavailable';

/** A store whose ping and probeWrite count their calls and fail on demand (nothing else is used). */
function fakeStore(state: { readFails?: boolean; writeFails?: boolean; pings: number; probes: number }): Store {
  return {
    ping: async () => {
      state.pings++;
      if (state.readFails) throw new Error('no answer');
    },
    probeWrite: async () => {
      state.probes++;
      if (state.writeFails) throw new StoreError('store_unavailable', 'full');
    },
  } as Partial<Store> as Store;
}

const sqliteError = (code: string) => Object.assign(new Error(code), { name: 'SqliteError', code });

describe('StoreHealth', () => {
  it('is ok when the store answers a read and takes a write, and names the part that fails', async () => {
    const state = { pings: 0, probes: 0, writeFails: false, readFails: false };
    let now = 0;
    const health = new StoreHealth(
      () => fakeStore(state),
      () => now,
      5_000,
    );
    expect(await health.check()).toEqual({ ok: true });
    state.writeFails = true;
    now += 5_000;
    expect(await health.check()).toEqual({ ok: false, failed: 'store.write' });
    state.readFails = true;
    now += 5_000;
    expect(await health.check()).toEqual({ ok: false, failed: 'store.read' });
  });

  it('probes at most once per TTL however many checks arrive, concurrent ones included', async () => {
    const state = { pings: 0, probes: 0 };
    let now = 1_000;
    const health = new StoreHealth(
      () => fakeStore(state),
      () => now,
      5_000,
    );
    await Promise.all(Array.from({ length: 50 }, () => health.check()));
    now += 4_999;
    await health.check();
    expect([state.pings, state.probes]).toEqual([1, 1]);
    now += 1;
    await health.check();
    expect([state.pings, state.probes]).toEqual([2, 2]);
  });

  it('keeps the error behind a failing verdict for the log, and forgets it once a probe succeeds', async () => {
    const state = { pings: 0, probes: 0, writeFails: true, readFails: false };
    let now = 0;
    const health = new StoreHealth(
      () => fakeStore(state),
      () => now,
      5_000,
    );
    expect(await health.check()).toEqual({ ok: false, failed: 'store.write' });
    expect(health.lastError).toMatchObject({ name: 'StoreError', code: 'store_unavailable', message: 'full' });
    state.writeFails = false;
    now += 5_000;
    expect(await health.check()).toEqual({ ok: true });
    expect(health.lastError).toBeUndefined();
  });

  it('counts a store that cannot even be built as a failed read', async () => {
    const health = new StoreHealth(() => {
      throw new Error('cannot open');
    });
    expect(await health.check()).toEqual({ ok: false, failed: 'store.read' });
  });
});

describe('store_unavailable', () => {
  it.each([
    'SQLITE_FULL',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_CANTOPEN',
  ])('is what SQLite %s becomes', (code) => {
    expect(sqliteUnavailable(sqliteError(code))).toMatchObject({ name: 'StoreError', code: 'store_unavailable' });
  });

  it.each(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_CORRUPT', 'SQLITE_FULLX'])(
    'is not what SQLite %s becomes',
    (code) => {
      expect(sqliteUnavailable(sqliteError(code))).toBeUndefined();
    },
  );

  it('is what Cosmos DB 408, 429 (after the SDK retries), 503 and 507 and an unreachable account become, with its retry hint', () => {
    for (const code of [408, 429, 503, 507])
      expect(cosmosUnavailable(Object.assign(new Error('x'), { code }))).toMatchObject({ code: 'store_unavailable' });
    expect(cosmosUnavailable(Object.assign(new Error('x'), { code: 429, retryAfterInMs: 12_300 }))?.details).toEqual({
      retryAfterSeconds: 13,
    });
    expect(cosmosUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({
      code: 'store_unavailable',
    });
    for (const code of [400, 404, 409, 412, 500])
      expect(cosmosUnavailable(Object.assign(new Error('x'), { code }))).toBeUndefined();
  });

  it('maps to 503 with Retry-After and a detail that names nothing internal', () => {
    const problem = problemFromError(sqliteUnavailable(sqliteError('SQLITE_FULL')));
    expect(problem).toMatchObject({ status: 503, code: 'store_unavailable', retryAfterSeconds: 5 });
    expect(JSON.stringify(problem)).not.toMatch(/SQLITE/);
  });

  it('is what a wrapped store rejects with, for sync and async failures alike; other errors and results pass unchanged', async () => {
    const conflict = new StoreError('conflict', 'exists');
    const adapter = {
      ping: async () => {
        throw sqliteError('SQLITE_IOERR_FSYNC');
      },
      probeWrite: () => {
        throw sqliteError('SQLITE_FULL');
      },
      createRequest: async () => {
        throw conflict;
      },
      getRequest: async () => ({ value: { id: 'x' }, etag: 'e' }),
    } as unknown as Store;
    const store = reportingUnavailable(adapter, sqliteUnavailable);
    await expect(store.ping()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(() => store.probeWrite()).toThrow(expect.objectContaining({ code: 'store_unavailable' }));
    await expect(store.createRequest({} as never)).rejects.toBe(conflict);
    await expect(store.getRequest('x')).resolves.toEqual({ value: { id: 'x' }, etag: 'e' });
  });
});
