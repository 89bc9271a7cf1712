import { parseClockAdvance, type RuntimeClock } from '../clock';
import { json, methodNotAllowed, problem, text } from '../http/responses';
import type { LocalRoute } from './localRoutes';

/** Where the clock endpoint is served. */
export const CLOCK_PATH = '/_local/clock';

/**
 * `GET /_local/clock` reads the runtime clock; `POST {"advance":"P30D"}` moves a manual clock
 * forward (timers that fall due fire). Both answer `{"now": "<RFC 3339>"}`; with the real clock the
 * endpoint does not exist (404).
 */
export function clockRoute(clock: RuntimeClock, manual: boolean): LocalRoute {
  return (request, _url, body) => {
    if (!manual) return text(404, 'Not Found');
    if ((request.method ?? 'GET').toUpperCase() === 'GET')
      return json(200, { now: new Date(clock.now()).toISOString() });
    if (request.method !== 'POST') return methodNotAllowed('GET, POST');
    let advance: unknown;
    try {
      advance = (JSON.parse(body.toString('utf8') || '{}') as { advance?: unknown }).advance;
    } catch {
      return problem(400, 'invalid_json', 'Bad Request', 'The body must be JSON like {"advance":"P30D"}.');
    }
    let ms: number;
    try {
      if (typeof advance !== 'string') throw new RangeError('"advance" must be an ISO-8601 duration such as "P30D"');
      ms = parseClockAdvance(advance);
    } catch (error) {
      return problem(400, 'invalid_duration', 'Bad Request', (error as Error).message);
    }
    return json(200, { now: new Date(clock.advance(ms)).toISOString() });
  };
}
