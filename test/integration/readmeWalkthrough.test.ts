import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Api, auditTrail } from '../support/api';
import { intuneCalls } from '../support/intune';
import { tenantObject } from '../support/localIntune';
import { seededId } from '../support/catalogueRun';
import { repoRoot, startRuntime } from '../support/runtime';

const README_API = 'API=http://127.0.0.1:7071';
const README_VERIFY = 'npm run audit:verify --';

/** The first `sh` block after the README heading that starts with `heading`. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(`### ${heading}`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`no sh block after "${heading}"`);
  return block[1]!;
}

/** Runs bash with `args` (and `input` on stdin), the test's environment minus its MAA_* settings, plus `env`. */
function bash(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MAA_')));
  const child = spawn('bash', args, {
    env: { ...inherited, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(input ?? '');
  // A step that never comes would leave the walkthrough polling for ever: stop it before jest gives up.
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err: `${err}${code === null ? '\n(killed after 45 s)' : ''}` });
    }),
  );
}

/** The states a device went through in the `devices` listings the walkthrough printed (`<id> <name> <os> <state>`). */
function statesOf(output: string, id: string, deviceName: string): string[] {
  return [...output.matchAll(new RegExp(`${id} ${deviceName} \\S+ (\\S+)$`, 'gm'))].map((match) => match[1]!);
}

/**
 * The README's walkthrough run as written (only the runtime's address and the built audit script
 * in place of `npm run audit:verify`, which would rebuild), against a runtime started as the README
 * says (`MAA_LOCAL_CLOCK=manual`), then `examples/local-wipe.sh`, which does the same as a script.
 */
describe('the README walkthrough wipes a seeded device through an approved request', () => {
  let api: Api;
  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
  });
  afterAll(() => api.runtime.dispose());

  it('wipes LT-ALICE-01 exactly once, shows it pending then done, and the trail verifies', async () => {
    const block = readmeBlock('Walkthrough: protect device wipes');
    expect(block).toContain(README_API);
    expect(block).toContain(README_VERIFY);
    const script = block
      .replace(README_API, `API=${api.runtime.url}`)
      .replace(README_VERIFY, `node ${path.join(repoRoot, 'dist', 'scripts', 'auditVerify.js')}`);
    const run = await bash(['-s'], { MAA_DATA_DIR: api.runtime.dataDir }, script);
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: expect.any(String) });

    const device = seededId('managedDevice', 1);
    const [initial, ...later] = statesOf(run.out, device, 'LT-ALICE-01');
    expect(initial).not.toMatch(/^wipe/);
    expect(later).toEqual(['wipePending', 'wipeIssued']);
    const writes = (await intuneCalls(api.runtime.url)).filter((call) => call.path.includes(device));
    expect(writes).toEqual([
      expect.objectContaining({ method: 'POST', path: `/v1.0/deviceManagement/managedDevices/${device}/wipe` }),
    ]);
    expect(writes[0]!.status).toBeGreaterThanOrEqual(200);
    expect(writes[0]!.status).toBeLessThan(300);
    expect(await tenantObject(api.runtime, 'managedDevice', device)).toMatchObject({ managementState: 'wipeIssued' });

    const mine = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    const wipe = (mine.body.items as any[]).find((request) => request.profileType === 'deviceWipe');
    expect(wipe).toMatchObject({
      status: 'completed',
      target: { id: device, displayName: 'LT-ALICE-01' },
      execution: {
        status: 'succeeded',
        graph: { clientRequestId: writes[0]!.clientRequestId },
        device: { state: 'done' },
      },
    });
    const trail = await auditTrail(api, 'alice', wipe.id);
    expect(trail.chainValid).toBe(true);
    expect(trail.items.at(-1)?.type).toBe('execution.observed');
    expect(run.out).toContain('"chainValid":true');
  });

  it('does the same as one script: examples/local-wipe.sh wipes MAC-BOB-01 and exits 0 once the device is done', async () => {
    const run = await bash([path.join(repoRoot, 'examples', 'local-wipe.sh'), 'MAC-BOB-01'], {
      MAA_URL: api.runtime.url,
    });
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: '' });
    const device = seededId('managedDevice', 2);
    expect(run.out).toContain('Execution: succeeded');
    expect(run.out).toMatch(/On the device: done: .* \(MAC-BOB-01 is wipeIssued\)\./);
    expect(run.out).toMatch(/Audit trail: .*execution\.observed; chain valid/);
    const writes = (await intuneCalls(api.runtime.url)).filter((call) => call.path.includes(device));
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /v1.0/deviceManagement/managedDevices/${device}/wipe`,
    ]);
  });

  it('exits 2 naming the device when the tenant has none of that name', async () => {
    const run = await bash([path.join(repoRoot, 'examples', 'local-wipe.sh'), 'LT-NOBODY-99'], {
      MAA_URL: api.runtime.url,
    });
    expect(run.code).toBe(2);
    expect(run.err).toContain('There is no managed device named LT-NOBODY-99.');
  });
});
