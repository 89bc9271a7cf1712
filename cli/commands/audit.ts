import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { approvalRequestSchema, auditPageSchema } from '../../shared/api/schemas';
import { verifyTrail } from '../../shared/domain/trailVerification';
import type { Command, Context } from '../context';
import { printJson } from '../context';
import { CliError, UsageError } from '../errors';
import { choice } from '../input';
import { ExitCode } from '../exitCodes';
import { joinedJson, readPages } from '../http';
import { auditTable } from '../render';
import { requestRoute } from './requests';

/** The file formats of an export and their media types. */
const FORMATS = { csv: 'text/csv', ndjson: 'application/x-ndjson' } as const;
type FileFormat = keyof typeof FORMATS;

const fileOptions = {
  out: {
    type: 'string',
    value: '<file>',
    description: 'write the file there (created or replaced) instead of to standard output',
  },
} as const;

/**
 * Streams the export at `route` in `format` to `--out` or standard output; prints to standard
 * error what it wrote where (nothing on standard output but the file).
 */
async function download(context: Context, route: string, format: FileFormat): Promise<ExitCode> {
  const response = await context.api().download(route, FORMATS[format]);
  const body = response.body
    ? Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>)
    : Readable.from([]);
  const out = context.args.string('out');
  let bytes = 0;
  body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  try {
    if (out !== undefined) {
      await pipeline(body, createWriteStream(out));
      context.io.err(`Wrote ${bytes} bytes of ${format.toUpperCase()} to ${out}.\n`);
    } else {
      const decoder = new TextDecoder('utf-8');
      for await (const chunk of body) context.io.out(decoder.decode(chunk as Buffer, { stream: true }));
      context.io.out(decoder.decode());
    }
  } catch (error) {
    throw new CliError(
      ExitCode.server,
      `the export stopped after ${bytes} bytes: ${(error as Error).message}${out === undefined ? '' : ` (${out} is incomplete)`}`,
    );
  }
  return ExitCode.ok;
}

export const auditExport: Command = {
  name: 'audit export',
  summary: 'export the audit records of every request written in a time range, as CSV or JSON Lines (operators)',
  args: [],
  options: {
    from: {
      type: 'string',
      value: '<time>',
      required: true,
      description: 'records at or after this RFC 3339 time, e.g. 2026-12-01T00:00:00Z',
    },
    to: { type: 'string', value: '<time>', required: true, description: 'records before this RFC 3339 time' },
    format: { type: 'string', value: '<format>', description: 'csv or ndjson (default ndjson)' },
    ...fileOptions,
  },
  example: 'maa audit export --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z --format csv --out december.csv',
  async run(context) {
    const { args } = context;
    const format = choice('format', args.string('format') ?? 'ndjson', ['csv', 'ndjson'] as const);
    const query = new URLSearchParams({ from: args.required('from'), to: args.required('to'), format });
    return download(context, `audit?${query}`, format);
  },
};

export const audit: Command = {
  name: 'audit',
  summary: "show a request's audit trail; --verify re-checks its hash chain here; --format exports it",
  args: ['id'],
  options: {
    format: {
      type: 'string',
      value: '<format>',
      description: 'print the whole trail as csv or ndjson (JSON Lines), each record with the chain verdict',
    },
    ...fileOptions,
    verify: {
      type: 'boolean',
      description:
        "recompute the hash chain and check it against the request's trail head with the server's algorithm, and compare with its chainValid (exit 6 if either fails)",
    },
  },
  example: 'maa audit 2c9a4c1e-0b7e-4f7a-9d43-7e1f9b0f2a61 --verify',
  async run(context) {
    const { args, io } = context;
    const id = args.arg(0);
    const formatText = args.string('format');
    if (formatText !== undefined) {
      if (args.flag('verify')) throw new UsageError('give --verify or --format, not both', 'audit');
      const format = choice('format', formatText, ['csv', 'ndjson'] as const);
      return download(context, requestRoute(id, `/audit?format=${format}`), format);
    }
    if (args.string('out') !== undefined) throw new UsageError('--out needs --format', 'audit');
    const api = context.api();
    const pages = await readPages(
      (token) =>
        api.call(
          auditPageSchema,
          'GET',
          requestRoute(id, `/audit?top=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`),
        ),
      undefined,
      true,
    );
    const records = pages.flatMap((page) => page.value.items);
    // chainValid covers the whole trail on every page; the last page is the latest word.
    const serverValid = pages[pages.length - 1]!.value.chainValid;

    if (context.json) printJson(context, joinedJson(pages));
    else {
      io.out(auditTable(records));
      io.out(`server: chain ${serverValid ? 'valid' : 'INVALID'}\n`);
    }
    if (!args.flag('verify')) return ExitCode.ok;

    // The same rule as the server's (shared/domain/trailVerification), run on what it sent.
    const request = (await api.call(approvalRequestSchema, 'GET', requestRoute(id))).value;
    const verification = verifyTrail({ request, records });
    const say = (text: string) => (context.json ? io.err(text) : io.out(text));
    if (!verification.valid) {
      for (const { brokenAt, message } of verification.problems) {
        const record = brokenAt && records[brokenAt.index]!;
        io.err(
          `verify: ${brokenAt && record ? `BROKEN at record ${brokenAt.index} (seq ${record.seq}, ${record.type}): ${brokenAt.reason}` : message}\n`,
        );
      }
      return ExitCode.chainInvalid;
    }
    if (!serverValid) {
      io.err(`verify: the ${records.length} records verify here, but the server reports the chain invalid\n`);
      return ExitCode.chainInvalid;
    }
    say(
      `verify: ok, ${records.length} records, head ${records[records.length - 1]?.hash.slice(0, 12) ?? '-'}; the server agrees\n`,
    );
    return ExitCode.ok;
  },
};
