import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, auditTrail } from '../support/api';
import { intuneCalls } from '../support/intune';
import { repoRoot, startRuntime } from '../support/runtime';
import { findPwsh, pesterModulePath, requireTool } from '../support/tools';

/**
 * pwsh and Pester, or a skip with a notice (a failure when MAA_REQUIRE_POWERSHELL=1, as .ci/run sets).
 * Both are asked so a missing one is named even when the other is missing too.
 */
function powershellAvailable(): boolean {
  const pwsh = requireTool('pwsh', 'MAA_REQUIRE_POWERSHELL');
  const pester = requireTool('pester', 'MAA_REQUIRE_POWERSHELL');
  return pwsh !== undefined && pester !== undefined;
}

/** The module's folder, so `Import-Module MultiAdminApproval` finds it by name as an installed module. */
const moduleRoot = path.join(repoRoot, 'powershell');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `pwsh -File script` with the module on PSModulePath and node on PATH; killed after `limitMs`. */
function pwsh(script: string, env: Record<string, string> = {}, limitMs = 150_000): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MAA_')));
  const child = spawn(findPwsh()!, ['-NoProfile', '-NonInteractive', '-File', script], {
    cwd: repoRoot,
    env: {
      ...inherited,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      PSModulePath: [moduleRoot, process.env.PSModulePath].filter(Boolean).join(path.delimiter),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err: `${err}${code === null ? `\n(killed after ${limitMs / 1000} s)` : ''}` });
    }),
  );
}

interface PesterOutcome {
  result: string;
  passed: number;
  failed: { name: string; message: string }[];
  notRun: number;
  failedBlocks: { name: string; message: string }[];
  failedContainers: { name: string; message: string }[];
}

/**
 * Runs every `powershell/tests/*.Tests.ps1` with Invoke-Pester and reads its result object,
 * written as JSON to a file of its own (Pester's own output goes to stdout, kept for diagnostics).
 */
async function invokePester(dir: string): Promise<{ outcome?: PesterOutcome; run: Run }> {
  const resultFile = path.join(dir, 'pester.json');
  const script = path.join(dir, 'run-pester.ps1');
  const q = (value: string) => `'${value.replace(/'/g, "''")}'`;
  writeFileSync(
    script,
    `$ErrorActionPreference = 'Stop'
Import-Module ${q(pesterModulePath()!)} -Force
$config = New-PesterConfiguration
$config.Run.Path = ${q(path.join(repoRoot, 'powershell', 'tests'))}
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
function Explain($items) {
  @($items | ForEach-Object {
    [pscustomobject]@{
      name = if ($_.ExpandedPath) { $_.ExpandedPath } elseif ($_.Path) { $_.Path -join ' ' } else { "$($_.Item)" }
      # The message and where in the tests (Pester's own frames left out).
      message = (@($_.ErrorRecord) | ForEach-Object {
        $where = @("$($_.ScriptStackTrace)" -split [Environment]::NewLine | Where-Object { $_ -notlike '*Pester.psm1*' })
        "$_ $($where -join '; ')"
      }) -join [Environment]::NewLine
    }
  })
}
[pscustomobject]@{
  result = "$($result.Result)"
  passed = $result.PassedCount
  failed = Explain $result.Failed
  notRun = $result.NotRunCount + $result.SkippedCount
  failedBlocks = Explain $result.FailedBlocks
  failedContainers = Explain $result.FailedContainers
} | ConvertTo-Json -Depth 5 | Set-Content -Path ${q(resultFile)} -Encoding utf8
`,
  );
  const run = await pwsh(script);
  const outcome = existsSync(resultFile)
    ? (JSON.parse(readFileSync(resultFile, 'utf8').replace(/^\uFEFF/, '')) as PesterOutcome)
    : undefined;
  return { outcome, run };
}

/** The README's ```powershell blocks that drive the module, joined in order. */
function readmePowerShell(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```powershell\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const walkthrough = blocks.filter((block) => block.includes('Connect-MaaService'));
  if (walkthrough.length === 0) throw new Error('README.md has no ```powershell block with Connect-MaaService');
  return walkthrough.join('\n');
}

const README_URI = 'http://127.0.0.1:7071';

const run = powershellAvailable() ? describe : describe.skip;

run('the MultiAdminApproval PowerShell module', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'maa-pwsh-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every Pester test against the real local runtime', async () => {
    const { outcome, run } = await invokePester(dir);
    if (outcome === undefined)
      throw new Error(`Invoke-Pester wrote no result (exit ${run.code}):\n${run.out.slice(-4000)}\n${run.err}`);
    // A function's empty (or one-item) array reaches ConvertTo-Json unrolled: null (or the item).
    const list = (value: PesterOutcome['failed'] | PesterOutcome['failed'][number] | null) =>
      value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
    const problems = [...list(outcome.failedContainers), ...list(outcome.failedBlocks), ...list(outcome.failed)].map(
      (failure) => `${failure.name}: ${failure.message}`,
    );
    expect(problems).toEqual([]);
    expect(outcome).toMatchObject({ result: 'Passed', notRun: 0 });
    expect(outcome.passed).toBeGreaterThanOrEqual(30);
  }, 180_000);

  describe("the README's PowerShell walkthrough, run as written", () => {
    let api: Api;
    beforeAll(async () => {
      api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
    });
    afterAll(() => api.runtime.dispose());

    it('runs without an error against a runtime and leaves its requests completed', async () => {
      const block = readmePowerShell();
      expect(block).toContain(README_URI);
      const script = path.join(dir, 'readme.ps1');
      // As written, but against this runtime, and any error (even a non-terminating one) fails it.
      writeFileSync(
        script,
        `$ErrorActionPreference = 'Stop'\nSet-StrictMode -Off\n${block.split(README_URI).join(api.runtime.url)}\n`,
      );
      const result = await pwsh(script, {}, 90_000);
      expect({ code: result.code, err: result.err }).toEqual({ code: 0, err: '' });

      // What the walkthrough asked for happened in the runtime, not only in its output.
      const mine = await api.call('alice', 'GET', 'requests?view=mine&top=100');
      const requests = mine.body.items as { id: string; status: string; profileType: string }[];
      expect(requests.length).toBeGreaterThan(0);
      if (block.includes('Complete-MaaRequest'))
        expect(requests.filter((request) => request.status === 'completed').length).toBeGreaterThan(0);
      if (block.includes('Submit-MaaRequest'))
        expect(requests.some((request) => request.profileType !== 'operationApprovalPolicy')).toBe(true);
      // Each device the walkthrough wipes: wiped once, through an approved, completed request whose trail verifies.
      for (const device of new Set(block.match(/d3a1c0de-[0-9a-f-]{27}/g) ?? [])) {
        const wipe = requests.find(
          (request: any) => request.profileType === 'deviceWipe' && request.operation?.resourceId === device,
        ) as any;
        expect(wipe).toMatchObject({ status: 'completed', execution: { status: 'succeeded' } });
        const writes = (await intuneCalls(api.runtime.url)).filter((call) => call.path.includes(device));
        expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
          `POST /v1.0/deviceManagement/managedDevices/${device}/wipe`,
        ]);
        expect((await auditTrail(api, 'alice', wipe.id)).chainValid).toBe(true);
      }
    }, 120_000);
  });
});
