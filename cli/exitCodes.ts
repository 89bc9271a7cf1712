/**
 * The `maa` exit codes. Scripts branch on them, so they are stable: a number never changes
 * meaning. 1-9 say the command itself failed; 10 and up say what became of the request that
 * `maa wait` watched.
 */
export const ExitCode = {
  ok: 0,
  /** A bug in maa: an error nothing else explains. */
  internal: 1,
  usage: 2,
  auth: 3,
  api: 4,
  server: 5,
  chainInvalid: 6,
  rejected: 10,
  expired: 11,
  cancelled: 12,
  timeout: 13,
  executionFailed: 14,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each code means, in the order `maa --help` and docs/cli.md list them. */
export const EXIT_CODE_MEANINGS: readonly (readonly [ExitCode, string])[] = [
  [ExitCode.ok, 'success; `wait`: the request reached the wanted state'],
  [ExitCode.internal, 'unexpected error in maa itself'],
  [
    ExitCode.usage,
    'usage error: unknown command or option, missing or invalid value, unreadable file or JSON (nothing was sent)',
  ],
  [
    ExitCode.auth,
    'authentication or authorization: not logged in, token expired or refused (401), role or approver check failed (403)',
  ],
  [
    ExitCode.api,
    'the API refused the call (other 4xx, e.g. 404 not_found, 409 entity_locked, 422 no_applicable_policy); the code is printed',
  ],
  [ExitCode.server, 'server or network error (5xx, connection refused, no answer within 30 s, unexpected response)'],
  [ExitCode.chainInvalid, '`audit --verify`: the hash chain does not verify, or the server and maa disagree about it'],
  [ExitCode.rejected, '`wait`: the request was rejected'],
  [ExitCode.expired, '`wait`: the request expired'],
  [ExitCode.cancelled, '`wait`: the request was cancelled'],
  [ExitCode.timeout, '`wait`: --timeout passed before the request reached the wanted state'],
  [ExitCode.executionFailed, '`wait --for completed`: the request was completed but its execution failed'],
];
