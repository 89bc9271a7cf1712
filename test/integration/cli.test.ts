import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { advanceClock, Api, approverGroup, auditTrail } from '../support/api';
import { eventually, Maa } from '../support/maa';
import { newDevice, SEEDED } from '../support/intune';
import { startRuntime } from '../support/runtime';

const wipeArgs = (device: string) => [
  'submit',
  '--profile-type',
  'deviceWipe',
  '--action',
  'wipe',
  '--resource-type',
  'managedDevice',
  '--resource-id',
  device,
  '--justification',
  `Reported stolen (${device})`,
];

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('maa against the local runtime', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'maa-cli-'));
  let api: Api;
  let maa: Maa;
  /** `maa` as alice or bob, through their saved profiles. */
  const as = (profile: string, ...args: string[]) => maa.run([...args, '--profile', profile]);
  /** A device enrolled in the local tenant for one test alone. */
  const device = (name: string) => newDevice(api.runtime.url, name);
  /** alice submits a wipe of a device enrolled for it, named `name`; resolves with the request id. */
  const submitted = async (name: string): Promise<string> => {
    const run = await as('alice', ...wipeArgs(await device(name)), '-q');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return run.stdout.trim();
  };
  const aliceRequestCount = async () =>
    (await api.call('alice', 'GET', 'requests?top=100')).body.items.length as number;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
    maa = new Maa(api.runtime.url, path.join(work, 'config'));
  });
  afterAll(async () => {
    await api.runtime.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('explains itself: maa --help lists every command and exit code, maa <command> --help its options', async () => {
    const help = await maa.run(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'login',
      'submit',
      'list',
      'show',
      'approve',
      'reject',
      'cancel',
      'complete',
      'wait',
      'audit',
      'policies list',
      'policies create',
      'policies delete',
    ]) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    for (const code of [0, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14])
      expect(help.stdout).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
    const submit = await maa.run(['submit', '--help']);
    expect(submit.code).toBe(0);
    expect(submit.stdout).toMatch(
      /^usage: maa submit --profile-type <type> --action <action> --resource-type <type> --justification <text> \[options\]/,
    );
    expect(submit.stdout).toContain('--idempotency-key <key>');
    expect((await maa.run(['policies', '--help'])).stdout).toMatch(/policies create +request a new access policy/);
  });

  it('logs alice and bob in to two profiles, kept owner-only; an unknown user gets no token (3), and no login means 3', async () => {
    const alice = await maa.run(['login', '--user', 'alice', '--profile', 'alice']);
    expect(alice).toMatchObject({ code: 0, stderr: '' });
    expect(alice.stdout).toMatch(
      /^Logged in to http:\/\/127\.0\.0\.1:\d+ as Alice \(profile "alice", token valid until \d{4}-/,
    );
    expect((await maa.run(['login', '--user', 'bob', '--profile', 'bob'])).code).toBe(0);
    const file = path.join(maa.configDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).profiles)).toEqual(['alice', 'bob']);

    const unknown = await maa.run(['login', '--user', 'mallory', '--profile', 'mallory']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/login failed: .*unknown_user.*seeded users are alice/);
    const nobody = await maa.run(['list', '--profile', 'mallory']);
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toMatch(/Not logged in \(profile "mallory"[^]*maa login --user <name>/);
  });

  it('logs in to Azure through the Azure CLI only when asked, and says so when it is not there (3)', async () => {
    const run = await maa.run(
      ['login', '--scope', 'api://00000000-0000-0000-0000-000000000000/.default', '--profile', 'azure'],
      { PATH: path.dirname(process.execPath) },
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Azure sign-in failed: .*Azure CLI/);
  });

  it('bootstraps the deviceWipe policy: alice requests it with policies create, bob approves, alice completes, then it exists', async () => {
    const file = path.join(work, 'wipe-policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        displayName: 'Device wipes need a second admin',
        profileType: 'deviceWipe',
        approverGroupIds: [await approverGroup(api.runtime)],
      }),
    );
    const change = await as(
      'alice',
      'policies',
      'create',
      '--file',
      file,
      '--justification',
      'Protect wipes',
      '--json',
    );
    expect(change.code).toBe(0);
    const request = JSON.parse(change.stdout);
    expect(request).toMatchObject({
      profileType: 'operationApprovalPolicy',
      status: 'needsApproval',
      operation: { action: 'create' },
    });

    // Each command prints the request as the service answers it once applied.
    const approved = await as('bob', 'approve', request.id, '--notes', 'agreed');
    expect([approved.code, approved.stdout]).toEqual([
      0,
      `Recorded: ${request.id} is approved (1 of 1). Next: its initiator runs maa complete ${request.id}.\n`,
    ]);
    expect((await as('alice', 'wait', request.id, '--for', 'approved', '--interval', '50ms')).code).toBe(0);
    const completed = await as('alice', 'complete', request.id);
    expect(completed.code).toBe(0);
    expect(completed.stdout).toBe(
      `Recorded: ${request.id} is completed; its operation runs now (maa wait ${request.id} --for completed).\n`,
    );
    const done = await as('alice', 'wait', request.id, '--for', 'completed', '--interval', '50ms');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/is completed: policy pol-\S+ created/);

    const listed = await as('alice', 'policies', 'list');
    expect(listed.code).toBe(0);
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +PROFILE TYPE +NAME +APPROVALS +TTL +VERSION +HEALTH$/);
    // bob and carol approve; bob may also request, which would leave carol alone: at risk.
    expect(row).toMatch(/^pol-\S+ +deviceWipe +Device wipes need a second admin +1 +P30D +1 +atRisk$/);
    expect(rest).toEqual([]);
    // Columns line up: each heading starts where its values start.
    expect(row!.indexOf('deviceWipe')).toBe(header!.indexOf('PROFILE TYPE'));
    const policyId = row!.split(' ')[0]!;
    const shown = await as('bob', 'policies', 'show', policyId);
    expect(shown.stdout).toMatch(/^approvals: +1$/m);
    expect(shown.stdout).toMatch(/^health: +atRisk$/m);
    expect(shown.stdout).toMatch(/^eligible approvers: +2: Bob, Carol$/m);
    expect(shown.stdout).toMatch(
      /^why: +exactly 1 approver\(s\) would remain for some initiator: nobody may be away$/m,
    );
    const json = JSON.parse((await as('bob', 'policies', 'show', policyId, '--json')).stdout);
    expect(json.health).toMatchObject({
      status: 'atRisk',
      eligibleApprovers: [{ displayName: 'Bob' }, { displayName: 'Carol' }],
    });
  });

  it('submit --dry-run prints the evaluation (policy, approvers, target, calls) and submits nothing', async () => {
    const count = await aliceRequestCount();

    const run = await as('alice', ...wipeArgs(SEEDED.devices.aliceLaptop), '--dry-run');

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Protected by policy');
    expect(run.stdout).toContain('needs 1 approval(s)');
    expect(run.stdout).toMatch(/Who could approve: .*Bob/);
    expect(run.stdout).toContain(`Target: managedDevice ${SEEDED.devices.aliceLaptop} (LT-ALICE-01)`);
    expect(run.stdout).toContain(
      `Would send: POST /v1.0/deviceManagement/managedDevices/${SEEDED.devices.aliceLaptop}/wipe`,
    );
    expect(run.stdout).toContain('Nothing was submitted.');
    const json = await as('alice', ...wipeArgs(SEEDED.devices.aliceLaptop), '--dry-run', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ protected: true, requiredApprovals: 1 });
    expect(await aliceRequestCount()).toBe(count);
  });

  it('submits a bulk wipe from --resource-ids and from --resource-ids-file, and shows it by count', async () => {
    const ids = [await device('bulk-cli-1'), await device('bulk-cli-2'), await device('bulk-cli-3')];
    const bulkArgs = ['submit', '--profile-type', 'deviceWipe', '--action', 'wipe', '--resource-type', 'managedDevice'];
    const dry = await as(
      'alice',
      ...bulkArgs,
      '--resource-ids',
      `${ids[0]}, ${ids[1]}`,
      '--justification',
      'Lost',
      '--dry-run',
      '--json',
    );
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(dry.stdout).targets.map((target: { id: string }) => target.id)).toEqual([ids[0], ids[1]]);

    const list = path.join(work, 'devices.txt');
    writeFileSync(list, `# leavers\n${ids.join('\n')}\n\n`);
    const submit = await as('alice', ...bulkArgs, '--resource-ids-file', list, '--justification', 'Stolen bag');
    expect(submit).toMatchObject({ code: 0, stderr: '' });
    expect(submit.stdout).toMatch(/^Submitted \S+: wipe 3 managedDevices, needsApproval/);

    const both = await as(
      'alice',
      ...bulkArgs,
      '--resource-ids',
      ids[0]!,
      '--resource-ids-file',
      list,
      '--justification',
      'x',
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('not both');
    const twice = await as('alice', ...bulkArgs, '--resource-ids', `${ids[0]},${ids[0]}`, '--justification', 'x');
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('operation.resourceIds.1');
  });

  it('runs a wipe: submit, wait --for approved while bob approves, complete, wait --for completed, audit --verify', async () => {
    const laptop = await device('laptop-42');
    const submit = await as(
      'alice',
      ...wipeArgs(laptop),
      '--payload',
      '{"keepEnrollmentData":false}',
      '--idempotency-key',
      'wipe-laptop-42',
    );
    expect(submit.code).toBe(0);
    const id = new RegExp(`^Submitted (\\S+): wipe managedDevice/${laptop}, needsApproval`).exec(submit.stdout)![1]!;
    // The same key again: the same request, not a second one.
    expect(
      (
        await as(
          'alice',
          ...wipeArgs(laptop),
          '--payload',
          '{"keepEnrollmentData":false}',
          '--idempotency-key',
          'wipe-laptop-42',
          '-q',
        )
      ).stdout.trim(),
    ).toBe(id);

    const waiting = maa.start([
      'wait',
      id,
      '--for',
      'approved',
      '--interval',
      '100ms',
      '--timeout',
      '30s',
      '--profile',
      'alice',
    ]);
    await eventually(() => waiting.stderr().includes(`${id}: needsApproval`), 'wait to see the request pending');
    const received = await as('bob', 'list', '--view', 'received', '--status', 'needsApproval');
    expect(received.stdout).toContain(id);
    const approve = await as('bob', 'approve', id, '--notes', 'confirmed with the user');
    expect(approve.code).toBe(0);
    const waited = await waiting.result;
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe(`${id} is approved\n`);
    expect(waited.stderr).toBe(`${id}: needsApproval\n${id}: approved\n`);

    expect((await as('alice', 'complete', id)).code).toBe(0);
    const completed = await as('alice', 'wait', id, '--for', 'completed', '--interval', '50ms');
    expect(completed.code).toBe(0);
    const show = await as('alice', 'show', id);
    expect(show.stdout).toMatch(/^status: +completed$/m);
    expect(show.stdout).toMatch(/^payload: +\{"keepEnrollmentData":false\}$/m);
    expect(show.stdout).toMatch(/^approve +Bob +\S+ \S+ +confirmed with the user$/m);

    const audit = await as('alice', 'audit', id, '--verify');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^0 +\S+ \S+ +request\.submitted +Alice +[0-9a-f]{12}$/m);
    expect(audit.stdout).toMatch(/^server: chain valid$/m);
    const records = (await auditTrail(api, 'alice', id)).items.length;
    expect(audit.stdout).toMatch(
      new RegExp(`^verify: ok, ${records} records, head [0-9a-f]{12}; the server agrees$`, 'm'),
    );
  });

  it('--json prints exactly the document the API answers', async () => {
    const id = (await api.call('alice', 'GET', 'requests?top=1')).body.items[0].id as string;
    const pairs: [string[], string][] = [
      [['show', id], `requests/${id}`],
      [['list'], 'requests'],
      [['list', '--view', 'received', '--top', '1'], 'requests?view=received&top=1'],
      [['audit', id], `requests/${id}/audit?top=100`],
      [['policies', 'list'], 'policies?top=100'],
    ];
    for (const [args, route] of pairs) {
      const run = await as(args.includes('received') ? 'bob' : 'alice', ...args, '--json');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual(
        (await api.call(args.includes('received') ? 'bob' : 'alice', 'GET', route)).body,
      );
    }
    // Several pages with --all-pages: one document holding every item.
    const all = await as('alice', 'list', '--top', '1', '--all-pages', '--json');
    expect(JSON.parse(all.stdout)).toEqual({ items: (await api.call('alice', 'GET', 'requests?top=100')).body.items });
  });

  it('wait exits 10 when the request is rejected (and reject without notes is a usage error)', async () => {
    const id = await submitted('laptop-10');
    const noNotes = await as('bob', 'reject', id);
    expect(noNotes.code).toBe(2);
    expect(noNotes.stderr).toBe('maa reject: missing --notes\nSee maa reject --help.\n');
    expect((await as('bob', 'reject', id, '--notes', 'no ticket')).code).toBe(0);
    const waited = await as('alice', 'wait', id, '--for', 'completed', '--interval', '50ms');
    expect(waited.code).toBe(10);
    expect(waited.stderr).toContain(`${id} was rejected by Bob: no ticket`);
  });

  it('wait exits 12 when the request is cancelled', async () => {
    const id = await submitted('laptop-12');
    expect((await as('alice', 'cancel', id)).code).toBe(0);
    const waited = await as('alice', 'wait', id, '--for', 'approved', '--interval', '50ms', '--json');
    expect(waited.code).toBe(12);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id, status: 'cancelled' });
    expect(waited.stderr).toContain(`${id} was cancelled`);
  });

  it('wait --timeout 1s exits 13 on a request nobody decides, after about a second', async () => {
    const id = await submitted('laptop-13');
    const started = Date.now();
    const waited = await as('alice', 'wait', id, '--for', 'approved', '--timeout', '1s', '--interval', '200ms');
    expect(waited.code).toBe(13);
    expect(waited.stderr).toContain(`timed out after 1s: ${id} is needsApproval, not approved`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await as('alice', 'cancel', id)).code).toBe(0);
  });

  it('refuses bad input with exit code 2, a clear message and nothing sent', async () => {
    const before = await aliceRequestCount();
    // maa refuses each before sending anything, so the device named here need not exist.
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^maa: unknown command "frobnicate"\nSee maa --help\.\n$/],
      [
        wipeArgs('laptop-2').filter((word) => !word.startsWith('Reported') && word !== '--justification'),
        /^maa submit: missing --justification\n/,
      ],
      [[...wipeArgs('laptop-2'), '--payload', '{"keep":'], /^maa submit: --payload is not valid JSON: /],
      [
        [...wipeArgs('laptop-2'), '--payload-file', path.join(work, 'missing.json')],
        /^maa submit: cannot read .*missing\.json: ENOENT/,
      ],
      [
        [...wipeArgs('laptop-2'), '--payload', '1', '--payload-file', 'x.json'],
        /give --payload or --payload-file, not both/,
      ],
      [
        [...wipeArgs('laptop-2').map((word) => (word === 'deviceWipe' ? 'deviceWype' : word))],
        /--profile-type must be one of app, .*deviceWipe.*, not "deviceWype"/,
      ],
      [['list', '--top', '500'], /--top must be a whole number from 1 to 100, not "500"/],
      [['list', '--view', 'everything'], /--view must be one of mine, received, all/],
      [['wait', 'r-1', '--for', 'approved', '--timeout', 'soon'], /--timeout must be a duration such as 10m/],
      [['wait', 'r-1', '--for', 'done'], /--for must be one of approved, completed/],
      [['show'], /^maa show: takes <id>\n/],
      [['list', '--bogus'], /^maa list: Unknown option '--bogus'\nSee maa list --help\.\n$/],
      [['policies', 'create', '--file', path.join(work, 'wipe-policy.json')], /a policy change needs a justification/],
    ];
    for (const [args, message] of cases) {
      const run = await as('alice', ...args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(message);
    }
    const bare = await maa.run([]);
    expect(bare).toEqual({ code: 2, stdout: '', stderr: 'maa: no command given\nSee maa --help.\n' });
    expect(await aliceRequestCount()).toBe(before);
  });

  it('maps refusals to exit codes and shows the stable code: 403 -> 3, 409 entity_locked -> 4, 404 -> 4, unreachable -> 5', async () => {
    expect((await maa.run(['login', '--user', 'carol', '--profile', 'carol'])).code).toBe(0);
    const carol = await as('carol', ...wipeArgs(await device('laptop-3')));
    expect(carol.code).toBe(3);
    expect(carol.stderr).toMatch(/^maa submit: The caller lacks the role this needs \(403 forbidden\): /);

    const fourth = await device('laptop-4');
    const id = (await as('alice', ...wipeArgs(fourth), '-q')).stdout.trim();
    const self = await as('alice', 'approve', id);
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('(403 self_approval)');

    const locked = await as('alice', ...wipeArgs(fourth));
    expect(locked.code).toBe(4);
    expect(locked.stderr).toMatch(/^maa submit: Another open request exists for this resource \(409 entity_locked\): /);
    expect((await as('alice', 'cancel', id)).code).toBe(0);

    const missing = await as('alice', 'show', 'no-such-request');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('(404 not_found)');

    const unprotected = await as(
      'alice',
      'submit',
      '--profile-type',
      'script',
      '--action',
      'update',
      '--resource-type',
      'deviceManagementScript',
      '--resource-id',
      SEEDED.deviceManagementScripts[0]!,
      '--payload',
      '{"description":"Rotates the local admin password"}',
      '--justification',
      'no policy yet',
    );
    expect(unprotected.code).toBe(4);
    expect(unprotected.stderr).toContain('(422 no_applicable_policy)');

    const invalid = await as(
      'alice',
      'submit',
      '--profile-type',
      'deviceWipe',
      '--action',
      'wipe',
      '--resource-type',
      'managedDevice',
      '--resource-id',
      fourth,
      '--justification',
      'x'.repeat(2000),
    );
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(
      /^maa submit: The body is not valid \(400 validation_failed\)\n {2}body\.justification: Too big/,
    );

    const port = await closedPort();
    const unreachable = await maa.run(['list'], { MAA_TOKEN: 'any', MAA_URL: `http://127.0.0.1:${port}` });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toBe(`maa list: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  it('uses MAA_TOKEN instead of the saved login, and never sends a saved token to another URL', async () => {
    const bob = await api.token('bob');
    const mine = await maa.run(['list', '--json', '--profile', 'alice'], { MAA_TOKEN: bob });
    expect(JSON.parse(mine.stdout)).toEqual((await api.call('bob', 'GET', 'requests')).body);
    const refused = await maa.run(['list', '--profile', 'alice'], { MAA_TOKEN: 'not-a-token' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('(401 invalid_token)');
    expect(refused.stderr).toContain('The token in MAA_TOKEN was refused');

    const elsewhere = await maa.run(['list', '--profile', 'alice', '--url', `http://127.0.0.1:${await closedPort()}`]);
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toMatch(
      /Profile "alice" is logged in to http:\/\/127\.0\.0\.1:\d+, not http:\/\/127\.0\.0\.1:\d+; its token is not sent elsewhere/,
    );
  });

  it('audit --verify exits 6 and names the broken record when a stored record was altered', async () => {
    const id = await submitted('laptop-6');
    expect((await as('alice', 'cancel', id)).code).toBe(0);
    expect((await as('alice', 'wait', id, '--for', 'approved', '--interval', '50ms')).code).toBe(12);
    expect((await as('alice', 'audit', id, '--verify')).code).toBe(0);

    const db = new Database(path.join(api.runtime.dataDir, 'maa.sqlite'));
    const row = db
      .prepare<[string], { doc: string }>('SELECT doc FROM audit WHERE request_id = ? AND seq = 1')
      .get(id)!;
    const doc = JSON.parse(row.doc);
    doc.at = '2020-01-01T00:00:00.000Z';
    db.prepare('UPDATE audit SET doc = ? WHERE request_id = ? AND seq = 1').run(JSON.stringify(doc), id);
    db.close();

    const audit = await as('alice', 'audit', id, '--verify');
    expect(audit.code).toBe(6);
    expect(audit.stdout).toMatch(/^server: chain INVALID$/m);
    expect(audit.stderr).toMatch(
      /^verify: BROKEN at record 1 \(seq 1, link\.issued\): hash does not match its content$/m,
    );
    // Without --verify the trail is still shown, and the exit code says nothing about the chain.
    expect((await as('alice', 'audit', id)).code).toBe(0);
  });

  it('after the clock passes the expiry: the old token is refused with how to log in again (3), and wait exits 11', async () => {
    const id = await submitted('laptop-11');
    await advanceClock(api.runtime, 'P31D');
    const stale = await as('alice', 'show', id);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(
      /\(401 expired_token\)[^]*The token of profile "alice" has expired\. Log in again with: maa login --user alice --url http:\/\/127\.0\.0\.1:\d+ --profile alice\n$/,
    );

    expect((await maa.run(['login', '--user', 'alice', '--url', api.runtime.url, '--profile', 'alice'])).code).toBe(0);
    const waited = await as('alice', 'wait', id, '--for', 'approved', '--interval', '50ms', '--timeout', '20s');
    expect(waited.code).toBe(11);
    expect(waited.stderr).toMatch(new RegExp(`${id} expired at \\S+\\n$`));
  });
});
