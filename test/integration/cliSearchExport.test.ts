import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api } from '../support/api';
import { deviceActionBody, newDevices } from '../support/intune';
import { protect } from '../support/localIntune';
import { Maa } from '../support/maa';
import { startRuntime } from '../support/runtime';
import { AUDIT_CSV_COLUMNS } from '../../shared/views/auditExport';

describe('maa list filters and audit exports against the local runtime', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'maa-cli-search-'));
  let api: Api;
  let maa: Maa;
  let devices: string[];
  let wipe: { id: string; createdAt: string };
  let retire: { id: string; createdAt: string; initiator: { id: string } };
  const as = (profile: string, ...args: string[]) => maa.run([...args, '--profile', profile]);

  beforeAll(async () => {
    api = new Api(await startRuntime());
    maa = new Maa(api.runtime.url, path.join(work, 'config'));
    for (const user of ['alice', 'bob', 'olga'])
      expect((await maa.run(['login', '--user', user, '--profile', user])).code).toBe(0);
    await protect(api, 'deviceWipe', 'deviceRetire');
    devices = await newDevices(api.runtime.url, 'LT-CLI-SEARCH', 2);
    wipe = (await api.call('alice', 'POST', 'requests', deviceActionBody('deviceWipe', devices[0]!))).body;
    retire = (await api.call('bob', 'POST', 'requests', deviceActionBody('deviceRetire', devices[1]!))).body;
  }, 90_000);
  afterAll(async () => {
    await api.runtime.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('maa list filters by target, profile type, initiator and creation time', async () => {
    const ids = async (...args: string[]) => {
      const run = await as('olga', 'list', '--view', 'all', '-q', ...args);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      return run.stdout.trim().split('\n').filter(Boolean);
    };
    expect(await ids('--target', devices[0]!.toUpperCase())).toEqual([wipe.id]);
    expect(await ids('--profile-type', 'deviceRetire')).toEqual([retire.id]);
    expect(await ids('--initiator', retire.initiator.id, '--status', 'needsApproval')).toEqual([retire.id]);
    expect(await ids('--created-from', wipe.createdAt, '--created-to', retire.createdAt)).toEqual([wipe.id]);
    const table = await as('olga', 'list', '--view', 'all', '--target', devices[1]!);
    expect(table.stdout).toContain(retire.id);
    expect(table.stdout).not.toContain(wipe.id);
  });

  it('maa list refuses bad filters: a profile type here (2), a time at the server (4, naming the field)', async () => {
    const type = await as('olga', 'list', '--profile-type', 'toaster');
    expect(type.code).toBe(2);
    expect(type.stderr).toMatch(/--profile-type must be one of app, /);
    const time = await as('olga', 'list', '--view', 'all', '--created-from', 'yesterday');
    expect(time.code).toBe(4);
    expect(time.stderr).toMatch(/\(400 validation_failed\)\n {2}query\.createdFrom: must be an RFC 3339 date-time/);
  });

  it('maa audit <id> --format csv|ndjson prints the whole trail, or writes it to --out', async () => {
    const csv = await as('alice', 'audit', wipe.id, '--format', 'csv');
    expect(csv).toMatchObject({ code: 0, stderr: '' });
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -1).every((line) => line.startsWith(`${wipe.id},`) && line.endsWith(',true'))).toBe(true);

    const ndjson = await as('alice', 'audit', wipe.id, '--format', 'ndjson');
    const records = ndjson.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((record) => record.seq)).toEqual(records.map((_, n) => n));
    expect(records.length).toBe(lines.length - 2);

    const file = path.join(work, 'trail.csv');
    const written = await as('alice', 'audit', wipe.id, '--format', 'csv', '--out', file);
    expect(written).toMatchObject({ code: 0, stdout: '' });
    expect(written.stderr).toMatch(new RegExp(`^Wrote \\d+ bytes of CSV to ${file.replace(/[.]/g, '\\.')}\\.\\n$`));
    expect(readFileSync(file, 'utf8')).toBe(csv.stdout);

    expect((await as('alice', 'audit', wipe.id, '--format', 'xml')).code).toBe(2);
    expect((await as('alice', 'audit', wipe.id, '--format', 'csv', '--verify')).stderr).toMatch(
      /give --verify or --format, not both/,
    );
    const hidden = await maa
      .run(['login', '--user', 'dave', '--profile', 'dave'])
      .then(() => as('dave', 'audit', wipe.id, '--format', 'csv'));
    expect(hidden).toMatchObject({ code: 4, stdout: '' });
    expect(hidden.stderr).toContain('(404 not_found)');
  });

  it('maa audit export writes every record of a time range for operators, and refuses others (3)', async () => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const file = path.join(work, 'range.ndjson');
    const run = await as('olga', 'audit', 'export', '--from', wipe.createdAt, '--to', to, '--out', file);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Wrote \d+ bytes of NDJSON to /);
    const records = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(new Set(records.map((record) => record.requestId))).toEqual(new Set([wipe.id, retire.id]));
    expect(records.every((record) => record.chainValid === true)).toBe(true);

    const csv = await as('olga', 'audit', 'export', '--from', wipe.createdAt, '--to', to, '--format', 'csv');
    expect(csv.stdout.split('\r\n')).toHaveLength(records.length + 2);

    const alice = await as('alice', 'audit', 'export', '--from', wipe.createdAt, '--to', to);
    expect(alice.code).toBe(3);
    expect(alice.stderr).toContain('(403 forbidden)');
    const missing = await as('olga', 'audit', 'export', '--from', wipe.createdAt);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --to/);
  });

  it('explains both: maa audit --help and maa audit export --help', async () => {
    expect((await maa.run(['audit', '--help'])).stdout).toMatch(/^usage: maa audit <id> \[options\]/);
    expect((await maa.run(['audit', 'export', '--help'])).stdout).toMatch(
      /^usage: maa audit export --from <time> --to <time> \[options\]/,
    );
    expect((await maa.run(['--help'])).stdout).toMatch(/^ {2}audit export +export the audit records/m);
  });
});
