import { ExitCode } from './exitCodes';

/** A problem document as the API sends it (RFC 9457 with the stable `code`). */
export interface ApiProblem {
  status: number;
  title?: string;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
}

/** A failure that ends the command with `exitCode` after printing `message` to stderr. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** Bad command line or local input: nothing was sent. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command it is about, when known where it was raised: the message names it and points to its `--help`. */
    readonly command?: string,
  ) {
    super(ExitCode.usage, message);
  }
}

/** The API answered with an error status; the exit code follows the status (401/403, other 4xx, 5xx). */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly problem: ApiProblem,
    /** What to do about it, printed after the problem (e.g. how to log in again). */
    hint?: string,
  ) {
    super(exitCodeForStatus(problem.status), hint ? `${describeProblem(problem)}\n${hint}` : describeProblem(problem));
  }
}

/** 401/403: auth; other 4xx: api; 5xx (and anything else): server. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status >= 400 && status < 500) return ExitCode.api;
  return ExitCode.server;
}

/** `title (status code): detail` and one line per field error. */
export function describeProblem(problem: ApiProblem): string {
  const head = `${problem.title ?? 'HTTP error'} (${problem.status}${problem.code ? ` ${problem.code}` : ''})`;
  const lines = [problem.detail && problem.detail !== problem.title ? `${head}: ${problem.detail}` : head];
  for (const field of problem.errors ?? []) lines.push(`  ${field.path}: ${field.message}`);
  return lines.join('\n');
}
