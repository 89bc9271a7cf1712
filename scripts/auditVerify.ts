#!/usr/bin/env node
import { getServices } from '../shared/composition';
import { verifyChain } from '../shared/domain/auditChain';
import type { AuditRecord } from '../shared/domain/model';
import type { Store } from '../shared/store/store';

/**
 * `npm run audit:verify -- <requestId> [...]` or `-- --all`: checks every request's audit hash
 * chain in the configured store (same settings as the app) and reports each broken link.
 * Exit code 0 when every chain verifies, 1 when one does not, 2 on a usage or store error.
 */
async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help')) {
    process.stderr.write('usage: npm run audit:verify -- <requestId> [<requestId> ...] | --all\n');
    return 2;
  }
  const { store } = getServices();
  try {
    const ids = args.includes('--all') ? await allRequestIds(store) : args;
    let broken = 0;
    for (const id of ids) {
      const records = await trail(store, id);
      if (records.length === 0) {
        process.stdout.write(`${id}: no audit records\n`);
        broken++;
        continue;
      }
      const result = verifyChain(records);
      if (result.valid) {
        process.stdout.write(`${id}: ok (${records.length} records, head ${records[records.length - 1]!.hash.slice(0, 12)})\n`);
      } else {
        broken++;
        process.stdout.write(`${id}: BROKEN at record ${result.brokenAt}: ${result.reason}\n`);
      }
    }
    process.stdout.write(`${ids.length - broken} of ${ids.length} trails verified${broken ? `, ${broken} broken` : ''}\n`);
    return broken > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

async function trail(store: Store, requestId: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listAudit(requestId, { top: 100, ...(continuationToken ? { continuationToken } : {}) });
    records.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return records;
}

async function allRequestIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listRequests({ view: { kind: 'all' }, top: 100, ...(continuationToken ? { continuationToken } : {}) });
    ids.push(...page.items.map((request) => request.id));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return ids;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
