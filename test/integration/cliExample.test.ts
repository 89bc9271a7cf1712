import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, approverGroup, createPolicy } from '../support/api';
import { eventually, Maa, maaCli, type MaaResult } from '../support/maa';
import { newDevice } from '../support/intune';
import { repoRoot, startRuntime } from '../support/runtime';

const script = path.join(repoRoot, 'examples', 'wipe.sh');
/** The name of the device whose wipe the test webhook refuses (a final failure: 400). */
const FAILING_DEVICE = 'laptop-broken';

/**
 * `examples/wipe.sh`, the bash example of docs/cli.md, run for real against the local runtime, with
 * `maa` on PATH, alice's login as the default profile and a second process (`maa approve` as bob,
 * or `maa reject`) deciding while the script waits. Wipes go to a webhook executor, so a refused
 * wipe shows as a failed execution.
 */
describe('examples/wipe.sh against the local runtime', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'maa-example-'));
  const bin = path.join(work, 'bin');
  let webhook: Server;
  let api: Api;
  let maa: Maa;
  /** The local tenant's id of {@link FAILING_DEVICE}, once enrolled. */
  let failingId = FAILING_DEVICE;

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const refused = body.includes(failingId);
        response
          .writeHead(refused ? 400 : 200, { 'content-type': 'text/plain' })
          .end(refused ? 'device not enrolled' : 'wiped');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.address() as { port: number };
    api = new Api(
      await startRuntime({
        env: {
          MAA_WEBHOOK_PROFILE_TYPES: 'deviceWipe',
          MAA_WEBHOOK_URL: `http://127.0.0.1:${port}/wipe`,
          MAA_WEBHOOK_SECRET: 'example-webhook-secret-0123456789',
        },
      }),
    );
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    maa = new Maa(api.runtime.url, path.join(work, 'config'));
    expect((await maa.run(['login', '--user', 'alice'])).code).toBe(0);
    expect((await maa.run(['login', '--user', 'bob', '--profile', 'bob'])).code).toBe(0);
    // `maa` on PATH, as after `npm link`.
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'maa'), `#!/bin/sh\nexec "${process.execPath}" "${maaCli}" "$@"\n`);
    chmodSync(path.join(bin, 'maa'), 0o755);
  });
  afterAll(async () => {
    await api.runtime.dispose();
    await new Promise((resolve) => webhook.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * Enrols a device named `name` in the local tenant and runs the script for it; once its request
   * waits for bob, runs `decide(id)` as a second process.
   */
  async function wipe(
    name: string,
    decide: (id: string) => Promise<MaaResult>,
    env: Record<string, string> = {},
  ): Promise<MaaResult & { id: string; device: string }> {
    const device = await newDevice(api.runtime.url, name);
    if (name === FAILING_DEVICE) failingId = device;
    const child = spawn('bash', [script, device, `Reported stolen (${name})`], {
      env: maa.env({ PATH: `${bin}:${process.env.PATH}`, WIPE_POLL_INTERVAL: '100ms', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    let id = '';
    await eventually(() => {
      id = /^Request (\S+) submitted/m.exec(stdout)?.[1] ?? '';
      return id !== '' && stderr.includes(`${id}: needsApproval`);
    }, `the script to wait for approval (stdout: ${stdout}, stderr: ${stderr})`);
    const decided = await decide(id);
    expect(decided.code).toBe(0);
    return { code: await exited, stdout, stderr, id, device };
  }

  it('wipes once bob approves: exit 0, the request completed with the webhook having run', async () => {
    const run = await wipe('laptop-7', (id) => maa.run(['approve', id, '--notes', 'confirmed', '--profile', 'bob']));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Device ${run.device} wiped (request ${run.id}).`);
    const request = (await api.call('alice', 'GET', `requests/${run.id}`)).body;
    expect(request).toMatchObject({
      status: 'completed',
      execution: { status: 'succeeded' },
      justification: 'Reported stolen (laptop-7)',
    });
  });

  it('exits 10 when bob rejects, without completing', async () => {
    const run = await wipe('laptop-8', (id) => maa.run(['reject', id, '--notes', 'not this one', '--profile', 'bob']));
    expect(run.code).toBe(10);
    expect(run.stderr).toContain(`${run.id} was rejected by Bob: not this one`);
    expect((await api.call('alice', 'GET', `requests/${run.id}`)).body.status).toBe('rejected');
  });

  it('exits 14 when the wipe is approved and completed but its execution fails', async () => {
    const run = await wipe(FAILING_DEVICE, (id) => maa.run(['approve', id, '--profile', 'bob']));
    expect(run.code).toBe(14);
    expect(run.stderr).toMatch(/is completed but its execution failed: webhook answered 400: device not enrolled/);
    expect(run.stdout).not.toContain('wiped (request');
  });

  it('cancels the request and exits 13 when nobody decides in time', async () => {
    const run = await wipe('laptop-9', () => Promise.resolve({ code: 0, stdout: '', stderr: '' }), {
      WIPE_APPROVAL_TIMEOUT: '1s',
    });
    expect(run.code).toBe(13);
    expect(run.stderr).toContain(`No decision within 1s: cancelling ${run.id}.`);
    await api.until('alice', run.id, (request) => request.status === 'cancelled');
  });
});
