import { canonicalJson } from '../domain/canonicalJson';
import type { AuditRecord } from '../domain/model';

/**
 * Audit trails as files an auditor opens elsewhere. Every row (CSV) or line (JSON Lines) is one
 * record with its request's chain verdict (`chainValid`: the whole trail of that request verifies),
 * so a range export that spans requests keeps each request's verdict beside its records.
 */

/** The CSV columns, in order. `data` is the record's data as canonical JSON. */
export const AUDIT_CSV_COLUMNS = [
  'requestId',
  'seq',
  'at',
  'type',
  'actorId',
  'actorName',
  'data',
  'prevHash',
  'hash',
  'chainValid',
] as const;

/** The media types of the two export formats. */
export const AUDIT_CSV_TYPE = 'text/csv; charset=utf-8';
export const AUDIT_NDJSON_TYPE = 'application/x-ndjson';

/** The CSV header line (RFC 4180, CRLF-terminated). */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

/** One record as a CSV line (RFC 4180: fields quoted when they hold a comma, quote or line break; CRLF-terminated). */
export function auditCsvRow(record: AuditRecord, chainValid: boolean): string {
  const fields = [
    record.requestId,
    String(record.seq),
    record.at,
    record.type,
    record.actor?.id ?? '',
    record.actor?.displayName ?? '',
    canonicalJson(record.data),
    record.prevHash,
    record.hash,
    String(chainValid),
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** One record as a JSON Lines line: the record as stored, with `chainValid`. */
export function auditNdjsonLine(record: AuditRecord, chainValid: boolean): string {
  return `${JSON.stringify({ ...record, chainValid })}\n`;
}

function csvField(value: string): string {
  // A leading =, +, - or @ would be run as a formula by spreadsheet programs: quoted with a leading apostrophe.
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) || guarded !== value ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
