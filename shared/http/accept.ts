/**
 * The media type of `offered` an `Accept` header prefers (RFC 9110 §12.5.1: by quality, then in
 * the order offered; `q=0` refuses), or undefined when it names none of them exactly. Wildcards
 * (`*\/*`, `text/*`) choose nothing here: the caller's default answers them.
 */
export function preferredMediaType(accept: string | null, offered: readonly string[]): string | undefined {
  if (accept === null) return undefined;
  let best: { type: string; q: number; order: number } | undefined;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const order = offered.indexOf(range);
    if (order < 0) continue;
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (best === undefined || q > best.q || (q === best.q && order < best.order)) best = { type: range, q, order };
  }
  return best?.type;
}
