#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { digestMacStatus, readCheckpoints } from '../shared/audit/checkpoints';
import { readTrail } from '../shared/store/trail';
import { openStoreForVerification } from '../shared/composition';
import { config, parseConfig } from '../shared/config';
import { digestHash, parseDigest, verifyDigestChain, type AuditDigest } from '../shared/domain/auditDigest';
import type { TrailHead } from '../shared/domain/model';
import { verifyTrail } from '../shared/domain/trailVerification';
import type { AppKeyRing } from '../shared/keys/appKey';
import type { Store } from '../shared/store/store';

const USAGE =
  'usage: npm run audit:verify -- (<requestId> [<requestId> ...] | --all) [--digest FILE]\n       npm run audit:verify -- --digest FILE\n       npm run audit:verify -- --export-digest FILE\n';

/** Exit codes: every check passed; something is broken or missing; the tool could not run (usage, store, digest file). */
const OK = 0;
const BROKEN = 1;
const CANNOT_RUN = 2;

/** A reason to stop with exit code 2 before verifying anything. */
class CannotRun extends Error {}

interface Options {
  ids: string[];
  all: boolean;
  digestFile?: string;
  exportFile?: string;
}

/**
 * `npm run audit:verify`: checks the configured store (same settings as the app) and reports every
 * problem it finds. Each trail's hash chain, the trail against the head its request keeps (a
 * shortened or deleted trail, a trail without its request), the stored checkpoint chain and its
 * MACs (when the app key is at hand), and, with `--digest FILE`, the store against a digest
 * exported earlier: that digest must be in the stored chain, and every head it or the digests
 * before it list must still be in its trail. `--export-digest FILE` writes the newest stored
 * digest. Exit 0 when everything verifies, 1 when something is broken or missing, 2 when it cannot
 * run (usage, a missing store, an unreadable digest file). It never creates or changes a store.
 */
async function main(args: string[]): Promise<number> {
  const options = parseArgs(args);
  const ring = appKeyRing();
  const store = openStore();
  try {
    if (options.exportFile !== undefined) return await exportDigest(store, options.exportFile);
    return await verify(store, options, ring);
  } finally {
    await store.close();
  }
}

function parseArgs(args: string[]): Options {
  const options: Options = { ids: [], all: false };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--all') options.all = true;
    else if (arg === '--digest' || arg === '--export-digest') {
      const file = args[++index];
      if (file === undefined || file.startsWith('--')) throw new CannotRun(`${arg} needs a file name\n${USAGE}`);
      if (arg === '--digest') options.digestFile = file;
      else options.exportFile = file;
    } else if (arg.startsWith('-')) throw new CannotRun(arg === '--help' ? USAGE : `unknown option ${arg}\n${USAGE}`);
    else options.ids.push(arg);
  }
  const verifies = options.all || options.ids.length > 0 || options.digestFile !== undefined;
  if (verifies === (options.exportFile !== undefined) || (options.all && options.ids.length > 0))
    throw new CannotRun(USAGE);
  return options;
}

/**
 * The app key ring for checking checkpoint MACs: from `MAA_APP_KEY` (and `MAA_APP_KEY_PREVIOUS`),
 * else, for the local SQLite store, the key the local runtime generated in
 * `<dataDir>/local-keys/app-key`; undefined without either (MACs are then not checked).
 */
function appKeyRing(): AppKeyRing | undefined {
  if ((process.env.MAA_APP_KEY ?? '').trim() === '') {
    // The key only signs checkpoints here: a throwaway one lets the other settings parse.
    const { store } = parseConfig({ ...process.env, MAA_APP_KEY: `unused:${randomBytes(32).toString('base64')}` });
    const keyFile = store.kind === 'sqlite' ? path.join(path.dirname(store.file), 'local-keys', 'app-key') : undefined;
    if (keyFile === undefined || !existsSync(keyFile)) {
      process.env.MAA_APP_KEY = `unused:${randomBytes(32).toString('base64')}`;
      return undefined;
    }
    process.env.MAA_APP_KEY = readFileSync(keyFile, 'utf8').trim();
  }
  return config().appKeys;
}

function openStore(): Store {
  const { store } = config();
  if (store.kind === 'sqlite' && !existsSync(store.file)) {
    throw new CannotRun(
      `no store at ${store.file}: check MAA_DATA_DIR (now ${process.env.MAA_DATA_DIR ?? 'unset, so .data'}); nothing was verified`,
    );
  }
  try {
    return openStoreForVerification();
  } catch (error) {
    throw new CannotRun(`cannot open the store: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function exportDigest(store: Store, file: string): Promise<number> {
  const latest = await store.latestCheckpoint();
  if (!latest) {
    process.stderr.write('no audit checkpoint has been taken yet: nothing to export\n');
    return BROKEN;
  }
  writeFileSync(file, `${JSON.stringify(latest, null, 2)}\n`);
  process.stdout.write(
    `exported digest ${latest.sequence} (${latest.digestHash.slice(0, 12)}, ${latest.heads.length} heads, to ${latest.to}) to ${file}\n`,
  );
  return OK;
}

async function verify(store: Store, options: Options, ring: AppKeyRing | undefined): Promise<number> {
  const exported = options.digestFile === undefined ? undefined : readDigestFile(options.digestFile);
  let broken = 0;
  const report = (line: string) => process.stdout.write(`${line}\n`);

  const checkpoints = await checkCheckpoints(store, ring, exported, report);
  if (!checkpoints.valid) broken += 1;
  const expected = new Map<string, TrailHead[]>();
  for (const digest of checkpoints.trusted) {
    for (const head of digest.heads)
      expected.set(head.requestId, [...(expected.get(head.requestId) ?? []), { seq: head.seq, hash: head.hash }]);
  }

  let ids = options.ids;
  if (options.all) {
    const requestIds = await allRequestIds(store);
    const trailIds = await store.listTrailIds();
    if (requestIds.length > 0 && trailIds.length === 0) {
      report(`the store holds ${requestIds.length} requests but no audit trail at all`);
      broken += 1;
    }
    ids = [...new Set([...requestIds, ...trailIds, ...expected.keys()])].sort();
    if (ids.length === 0) report('the store holds no requests and no audit trails yet');
  } else if (ids.length === 0) {
    ids = [...expected.keys()].sort();
  }

  const orphansExpected = config().store.closedRequestTtlSeconds !== undefined;
  let brokenTrails = 0;
  for (const id of ids) {
    const [request, records] = await Promise.all([store.getRequest(id), readTrail(store, id)]);
    const verdict = verifyTrail({
      request: request?.value,
      records,
      expected: expected.get(id) ?? [],
      orphansExpected,
    });
    if (records.length === 0 && verdict.valid) {
      report(`${id}: no audit records`);
      brokenTrails += 1;
      continue;
    }
    for (const note of verdict.notes) report(`${id}: note: ${note}`);
    if (verdict.valid) {
      report(`${id}: ok (${records.length} records, head ${verdict.last!.hash.slice(0, 12)})`);
    } else {
      brokenTrails += 1;
      for (const problem of verdict.problems) report(`${id}: ${problem.message}`);
    }
  }
  report(
    `${ids.length - brokenTrails} of ${ids.length} trails verified${brokenTrails ? `, ${brokenTrails} broken` : ''}`,
  );
  return broken + brokenTrails > 0 ? BROKEN : OK;
}

function readDigestFile(file: string): AuditDigest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CannotRun(`cannot read the digest file ${file}: ${(error as Error).message}`);
  }
  try {
    return parseDigest(JSON.parse(text));
  } catch (error) {
    throw new CannotRun(`${file}: ${(error as Error).message}`);
  }
}

/**
 * Checks the stored checkpoint chain (up to the exported digest, when one is given) and its MACs,
 * and the exported digest against it. `trusted` are the digests whose heads every trail must still
 * hold: the stored chain when it is intact (and, with an exported digest, ends in it), otherwise
 * only the exported digest.
 */
async function checkCheckpoints(
  store: Store,
  ring: AppKeyRing | undefined,
  exported: AuditDigest | undefined,
  report: (line: string) => void,
): Promise<{ valid: boolean; trusted: AuditDigest[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  const macs = (digest: AuditDigest, what: string) => {
    const status = digestMacStatus(ring, digest);
    if (status === 'invalid') problems.push(`${what}: its MAC does not verify under key ${digest.signature.kid}`);
    if (status === 'unknown_key')
      notes.push(`${what}: signed with key ${digest.signature.kid}, which is not configured; MAC not checked`);
  };
  if (exported !== undefined) {
    if (exported.digestHash !== digestHash(exported))
      problems.push(`the exported digest's hash does not match its content`);
    macs(exported, 'the exported digest');
  }
  const stored = await readCheckpoints(store, exported?.sequence);
  const chain = verifyDigestChain(stored);
  if (!chain.valid) problems.push(`stored checkpoints BROKEN at digest ${chain.brokenAt}: ${chain.reason}`);
  for (const digest of stored) macs(digest, `stored digest ${digest.sequence}`);
  let chainEndsInExported = exported === undefined;
  if (exported !== undefined) {
    const match = stored.at(-1);
    if (match?.sequence !== exported.sequence)
      problems.push(`the store holds no digest ${exported.sequence} (the exported one): its checkpoints were removed`);
    else if (match.digestHash !== exported.digestHash)
      problems.push(
        `stored digest ${exported.sequence} is not the exported one: the store's checkpoints were rewritten`,
      );
    else chainEndsInExported = true;
  }

  for (const note of notes) report(`checkpoints: note: ${note}`);
  for (const problem of problems) report(`checkpoints: ${problem}`);
  const chainTrusted = chain.valid && chainEndsInExported;
  if (problems.length === 0) {
    const latest = stored.at(-1);
    const macState = ring === undefined ? 'MACs not checked: no app key' : 'MACs checked';
    report(
      latest === undefined
        ? 'checkpoints: none stored yet'
        : `checkpoints: ok (${stored.length} digests, latest ${latest.sequence} to ${latest.to}, ${macState})`,
    );
    if (exported !== undefined)
      report(`digest ${exported.sequence}: the store still holds it, and every head listed up to it is checked below`);
  }
  return { valid: problems.length === 0, trusted: chainTrusted ? stored : exported === undefined ? [] : [exported] };
}

async function allRequestIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listRequests({
      view: { kind: 'all' },
      top: 100,
      ...(continuationToken ? { continuationToken } : {}),
    });
    ids.push(...page.items.map((request) => request.id));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return ids;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof CannotRun ? '' : 'error: '}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(CANNOT_RUN);
  },
);
