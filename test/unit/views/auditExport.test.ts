import type { AuditRecord } from '../../../shared/domain/model';
import { AUDIT_CSV_COLUMNS, auditCsvHeader, auditCsvRow, auditNdjsonLine } from '../../../shared/views/auditExport';

function aRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: 'r1:000001',
    requestId: 'r1',
    seq: 1,
    type: 'request.approved',
    at: '2026-12-07T08:00:00.000Z',
    actor: { id: 'u-bob', displayName: 'Bob' },
    data: { notes: 'ok' },
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    ...overrides,
  };
}

/** The fields of one CSV line, for the fields these tests write (no quoted line breaks). */
function fields(line: string): string[] {
  expect(line.endsWith('\r\n')).toBe(true);
  const out: string[] = [];
  const pattern = /("(?:[^"]|"")*"|[^,]*)(,|\r\n$)/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(line)) !== null) {
    const raw = match[1]!;
    out.push(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw);
    if (match[2] === '\r\n') break;
  }
  return out;
}

describe('audit export rows', () => {
  it('writes the header with every column in order, CRLF-terminated', () => {
    expect(auditCsvHeader()).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    expect(AUDIT_CSV_COLUMNS).toHaveLength(10);
  });

  it('writes a record as one field per column, its data as canonical JSON, and the verdict last', () => {
    const row = fields(auditCsvRow(aRecord({ data: { z: 1, a: 'x' } }), true));
    expect(row).toEqual([
      'r1',
      '1',
      '2026-12-07T08:00:00.000Z',
      'request.approved',
      'u-bob',
      'Bob',
      '{"a":"x","z":1}',
      'a'.repeat(64),
      'b'.repeat(64),
      'true',
    ]);
    expect(fields(auditCsvRow(aRecord(), false)).at(-1)).toBe('false');
  });

  it('leaves the actor columns empty for a record without an actor', () => {
    const row = fields(auditCsvRow(aRecord({ actor: null }), true));
    expect(row.slice(4, 6)).toEqual(['', '']);
  });

  it.each([
    ['a comma', 'Smith, Jane', '"Smith, Jane"'],
    ['a quote', 'The "boss"', '"The ""boss"""'],
    ['a line break', 'two\nlines', '"two\nlines"'],
    ['a carriage return', 'two\r\nlines', '"two\r\nlines"'],
  ])('quotes a field with %s', (_label, displayName, written) => {
    const line = auditCsvRow(aRecord({ actor: { id: 'u', displayName } }), true);
    expect(line).toContain(`,u,${written},`);
  });

  it.each([['=HYPERLINK("x")'], ['+1+1'], ['-2'], ['@SUM(A1)'], ['\tTab']])(
    'guards %j against spreadsheet formulas: quoted with a leading apostrophe',
    (displayName) => {
      const line = auditCsvRow(aRecord({ actor: { id: 'u', displayName } }), true);
      expect(fields(line)[5]).toBe(`'${displayName}`);
      expect(line).toContain(`,"'`);
    },
  );

  it('leaves a field that only holds such a character later alone', () => {
    expect(fields(auditCsvRow(aRecord({ actor: { id: 'u', displayName: 'Anne-Marie' } }), true))[5]).toBe('Anne-Marie');
  });

  it('writes a JSON Lines line as the record with its verdict, newline-terminated, with no line break inside', () => {
    const record = aRecord({ data: { notes: 'line one\nline two' } });
    const line = auditNdjsonLine(record, false);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ ...record, chainValid: false });
  });
});
