import { DomainError } from '../domain/errors';
import type { AuditRecord } from '../domain/model';
import { verifyTrail } from '../domain/trailVerification';
import type { AuditRange } from '../store/store';
import { readTrail } from '../store/trail';
import { AUDIT_CSV_TYPE, AUDIT_NDJSON_TYPE, auditCsvHeader, auditCsvRow, auditNdjsonLine } from '../views/auditExport';
import type { Caller, UseCaseDeps } from './deps';
import { getVisibleRequest } from './requests';

/** The file formats of an audit export. */
export type AuditFileFormat = 'csv' | 'ndjson';

/**
 * An audit export ready to send: its media type, a file name to offer, and its text in pieces
 * (read lazily: a range export pages through the store as the pieces are read).
 */
export interface AuditExport {
  contentType: string;
  fileName: string;
  chunks: AsyncIterable<string>;
}

/** The roles that may export the audit records of every request. */
export const AUDIT_EXPORT_ROLES = ['MAA.Operator'] as const;

/** Records read per store page of a range export. */
const RANGE_PAGE = 100;

function lineOf(format: AuditFileFormat, record: AuditRecord, chainValid: boolean): string {
  return format === 'csv' ? auditCsvRow(record, chainValid) : auditNdjsonLine(record, chainValid);
}

function contentTypeOf(format: AuditFileFormat): string {
  return format === 'csv' ? AUDIT_CSV_TYPE : AUDIT_NDJSON_TYPE;
}

/**
 * The whole audit trail of request `id` (which the caller must be allowed to see, as for
 * `GET /api/requests/{id}`), each record with the trail's chain verdict. Reads and checks the
 * trail before answering, so a refusal is thrown here, not halfway through the file.
 */
export async function exportRequestAudit(
  deps: UseCaseDeps,
  caller: Caller,
  id: string,
  format: AuditFileFormat,
): Promise<AuditExport> {
  const request = await getVisibleRequest(deps, caller, id);
  const records = await readTrail(deps.store, id);
  const chainValid = verifyTrail({ request, records }).valid;
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield auditCsvHeader();
    for (const record of records) yield lineOf(format, record, chainValid);
  }
  return { contentType: contentTypeOf(format), fileName: `audit-${id}.${format}`, chunks: chunks() };
}

/**
 * Every audit record written in `range` (`[from, to)`, by the records' `at`), across requests, in
 * `(at, requestId, seq)` order, paged through the store; each record carries its request's chain
 * verdict, checked once per request over its whole trail (a trail whose request the retention
 * period removed is not a fault). Operators only (`forbidden` otherwise, before anything is read).
 */
export async function exportAuditRange(
  deps: UseCaseDeps,
  caller: Caller,
  range: AuditRange,
  format: AuditFileFormat,
): Promise<AuditExport> {
  if (!AUDIT_EXPORT_ROLES.some((role) => caller.roles.includes(role)))
    throw new DomainError('forbidden', 'Exporting the audit records of every request needs MAA.Operator.');
  const verdicts = new Map<string, boolean>();
  const verdictOf = async (requestId: string): Promise<boolean> => {
    let valid = verdicts.get(requestId);
    if (valid === undefined) {
      const stored = await deps.store.getRequest(requestId);
      const records = await readTrail(deps.store, requestId);
      valid = verifyTrail({ request: stored?.value, records, orphansExpected: true }).valid;
      verdicts.set(requestId, valid);
    }
    return valid;
  };
  // The first page is read now, so that a store that cannot answer fails the call, not the file.
  const first = await deps.store.listAuditByTime(range, { top: RANGE_PAGE });
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield auditCsvHeader();
    let page = first;
    for (;;) {
      for (const record of page.items) yield lineOf(format, record, await verdictOf(record.requestId));
      if (page.continuationToken === undefined) return;
      page = await deps.store.listAuditByTime(range, { top: RANGE_PAGE, continuationToken: page.continuationToken });
    }
  }
  const stamp = (instant: string) => instant.replace(/[:.]/g, '').replace(/-/g, '');
  return {
    contentType: contentTypeOf(format),
    fileName: `audit-${stamp(range.from)}-${stamp(range.to)}.${format}`,
    chunks: chunks(),
  };
}
