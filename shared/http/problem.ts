import type { HttpResponseInit } from '@azure/functions';

/** Fields of an RFC 9457 problem document, plus the stable `code` clients branch on. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** An `application/problem+json` response whose `code` is mirrored in `x-error-code`. */
export function problemResponse(problem: Problem): HttpResponseInit {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'x-error-code': problem.code },
    body: JSON.stringify({ type: `urn:maa:problem:${problem.code}`, ...problem }),
  };
}
