/**
 * The store on a full disk, through the real runtime: the SQLite store file lives on a small tmpfs
 * (the rest of the data dir, with the Durable backend, stays where it was), which the test fills.
 * Writes then answer 503 `store_unavailable` with `Retry-After` instead of a bare 500, health
 * says which part failed, nothing is half-written, and everything works again once space returns.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, approverGroup, createPolicy } from '../support/api';
import { startRuntime, type RunningRuntime } from '../support/runtime';
import { mountSmallDisk } from '../support/tmpfs';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';

jest.setTimeout(90_000);

const wipe = (resourceId: string) => wipeBody(resourceId);

async function health(runtime: RunningRuntime): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${runtime.url}/api/health`);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Polls health until it answers `status` (its verdict is reused for a few seconds). */
async function healthBecomes(
  runtime: RunningRuntime,
  status: number,
): Promise<{ status: number; body: any; headers: Headers }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await health(runtime);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const disk = mountSmallDisk(8);
const maybe = disk ? describe : describe.skip;

maybe('a full disk under the store (real runtime)', () => {
  let dataDir: string;
  let runtime: RunningRuntime;
  let api: Api;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'maa-full-disk-'));
    // SQLite follows the link, so the store file and its WAL live on the small disk.
    symlinkSync(path.join(disk!.dir, 'maa.sqlite'), path.join(dataDir, 'maa.sqlite'));
    runtime = await startRuntime({ dataDir });
    api = new Api(runtime);
    await createPolicy(api, {
      displayName: 'Wipes',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(runtime)],
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    disk!.free();
    disk!.unmount();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 store_unavailable to writes and health, writes nothing, and recovers when space returns', async () => {
    expect(await health(runtime)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const before = await api.call('alice', 'GET', 'requests?view=mine');
    expect(before.status).toBe(200);
    const device = await newDevice(runtime.url, 'full-disk-1');

    disk!.fill();
    const submitted = await api.call('alice', 'POST', 'requests', wipe(device), {
      'idempotency-key': 'full-disk-1',
    });
    expect(submitted.status).toBe(503);
    expect(submitted.headers.get('content-type')).toBe('application/problem+json');
    expect(submitted.headers.get('x-error-code')).toBe('store_unavailable');
    expect(submitted.headers.get('retry-after')).toBe('5');
    expect(submitted.body).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(JSON.stringify(submitted.body)).not.toMatch(/SQLITE|sqlite|stack/);

    const unhealthy = await healthBecomes(runtime, 503);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.headers.get('content-type')).toBe('application/problem+json');
    expect(unhealthy.body).toMatchObject({ code: 'store_unavailable' });
    expect(unhealthy.body.detail).toMatch(/^store\.write: /);

    // Reads still work and show nothing of the refused submit.
    expect(await api.call('alice', 'GET', 'requests?view=mine')).toMatchObject({ status: 200, body: before.body });

    disk!.free();
    expect((await healthBecomes(runtime, 200)).body).toEqual({ status: 'ok' });
    // Same key and same device: neither the idempotency key nor the entity lock was left behind.
    const retried = await api.call('alice', 'POST', 'requests', wipe(device), {
      'idempotency-key': 'full-disk-1',
    });
    expect(retried.status).toBe(202);
    await api.until('alice', retried.body.id as string, (request) => request.status === 'needsApproval');
  });
});
