import { approvalRequestSchema, auditPageSchema } from '../../shared/api/schemas';
import { verifyTrail } from '../../shared/domain/trailVerification';
import type { Command } from '../context';
import { printJson } from '../context';
import { ExitCode } from '../exitCodes';
import { joinedJson, readPages } from '../http';
import { auditTable } from '../render';
import { requestRoute } from './requests';

export const audit: Command = {
  name: 'audit',
  summary: "show a request's audit trail; --verify re-checks its hash chain here",
  args: ['id'],
  options: {
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
