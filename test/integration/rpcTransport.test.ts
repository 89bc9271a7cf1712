import path from 'node:path';
import { repoRoot, startRuntime, type RunningRuntime } from '../support/runtime';

const appDir = path.join(repoRoot, 'test', 'fixtures', 'workload');

async function post(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

describe.each(['http', 'inprocess'])('DurableClient over the %s transport', (transport) => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime({ appDir, env: { MAA_LOCAL_RPC_TRANSPORT: transport } });
  });
  afterAll(async () => {
    await runtime.dispose();
  });

  it('starts an orchestration and raises its event from app functions, then the instance completes', async () => {
    expect(await post(`${runtime.url}/api/lifecycles/rpc-1`, {})).toBe(202);
    expect(await post(`${runtime.url}/api/lifecycles/rpc-1/decision`, { approved: true })).toBe(202);
    let status: { runtimeStatus: string; output: unknown } = { runtimeStatus: 'Pending', output: null };
    for (let i = 0; i < 200 && status.runtimeStatus !== 'Completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = (await (await fetch(runtime.durable('instances/rpc-1'))).json()) as typeof status;
    }
    expect(status).toEqual(
      expect.objectContaining({
        runtimeStatus: 'Completed',
        output: {
          first: { id: 'rpc-1', n: 1, decision: null },
          second: { id: 'rpc-1', n: 2, decision: { approved: true } },
        },
      }),
    );
  });

  it('makes the SDK reject a duplicate start of a running instance (the extension answers 500)', async () => {
    expect(await post(`${runtime.url}/api/lifecycles/rpc-2`, {})).toBe(202);
    // The starter does not catch the SDK's rejection, so the host answers a bare 500.
    expect(await post(`${runtime.url}/api/lifecycles/rpc-2`, {})).toBe(500);
  });

  it('makes the SDK reject an event for an unknown instance (the extension answers 404)', async () => {
    expect(await post(`${runtime.url}/api/lifecycles/nobody/decision`, { approved: true })).toBe(500);
    expect(runtime.output()).toMatch(/No instance with ID 'nobody' found/);
  });
});
