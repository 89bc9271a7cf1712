import { html, type SafeHtml } from './html';

/** The zone shown when a viewer chose none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** The cookie a page's time zone form sets (`Path=/api`, so every page reads the same choice). */
export const TIME_ZONE_COOKIE = 'maa-tz';

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `zone` when it is an IANA time zone name this runtime knows (e.g. `Europe/Berlin`), else
 * undefined. The name stays as given (ICU would turn `Asia/Kolkata` into its old alias
 * `Asia/Calcutta`), except that its case is fixed where the runtime knows it and every alias of
 * UTC (`Etc/UTC`, `GMT`, `utc`) is `UTC`. Offsets such as `+01:00` are not zones (newer runtimes
 * accept them; they know no daylight saving time) and are refused everywhere alike.
 */
export function validTimeZone(zone: string | undefined | null): string | undefined {
  if (!zone || !ZONE_NAME.test(zone)) return undefined;
  const known = validZones.get(zone);
  if (known !== undefined || validZones.has(zone)) return known;
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat('en-GB', { timeZone: zone }).resolvedOptions().timeZone;
    if (resolved !== 'UTC' && resolved.toLowerCase() !== zone.toLowerCase()) resolved = zone;
  } catch {
    resolved = undefined;
  }
  remember(validZones, zone, resolved);
  return resolved;
}

// Building an Intl.DateTimeFormat costs about ten times what formatting with one does, and a
// page formats hundreds of instants in one or two zones: both caches are bounded (cleared when full).
const CACHE_LIMIT = 512;
const validZones = new Map<string, string | undefined>();
const formats = new Map<string, Intl.DateTimeFormat>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/**
 * The viewer's time zone: the `tz` query parameter, else the `maa-tz` cookie (the pages' setting),
 * else `fallback` (the app's default), else UTC. Unknown names are ignored.
 */
export function viewerTimeZone(query: URLSearchParams, cookieHeader: string | null, fallback?: string): string {
  return (
    validTimeZone(query.get('tz')) ??
    validTimeZone(timeZoneCookie(cookieHeader)) ??
    validTimeZone(fallback) ??
    DEFAULT_TIME_ZONE
  );
}

/** The (decoded, unquoted) value of the first `maa-tz` cookie in a `Cookie` header. */
export function timeZoneCookie(cookieHeader: string | null): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== TIME_ZONE_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return safeDecode(value);
  }
  return undefined;
}

/** Whether `text` is an RFC 3339 instant (`2026-12-07T09:12:00Z`, with an offset or `Z`). */
export function isInstant(text: string): boolean {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text));
}

function partsIn(at: Date, zone: string, timeZoneName?: 'short'): Record<string, string> {
  const key = `${zone}\n${timeZoneName ?? ''}`;
  const format =
    formats.get(key) ??
    remember(
      formats,
      key,
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        ...(timeZoneName ? { timeZoneName } : {}),
      }),
    );
  return Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
}

/** `iso` in `zone` as `2026-12-07 09:12 CET` (24-hour clock, the zone's short name); the input when it is not an instant. */
export function formatInstant(iso: string, zone: string): string {
  if (!isInstant(iso)) return iso;
  const parts = partsIn(new Date(iso), zone, 'short');
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** The wall-clock time of `iso` in `zone` as `09:12`; the input when it is not an instant. */
export function formatClock(iso: string, zone: string): string {
  if (!isInstant(iso)) return iso;
  const parts = partsIn(new Date(iso), zone);
  return `${parts.hour}:${parts.minute}`;
}

/** How far `zone`'s clocks are ahead of UTC at `at`, in minutes (negative west of Greenwich). */
export function utcOffsetMinutes(at: Date, zone: string): number {
  const parts = partsIn(at, zone);
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** An offset as `UTC+01:00`, `UTC−05:00` or `UTC+05:30` (`UTC` for none). */
export function formatOffset(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '\u2212' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The zone as a legend names it: `Europe/Berlin (UTC+01:00)` at `at`, or `UTC`. */
export function zoneLabel(zone: string, at: Date): string {
  const offset = utcOffsetMinutes(at, zone);
  return zone === 'UTC' ? 'UTC' : `${zone} (${formatOffset(offset)})`;
}

/**
 * The instant a calendar day (`YYYY-MM-DD`) starts in `zone`, as RFC 3339 UTC; undefined when it
 * is no date. On a day whose midnight a clock change skips, the first instant of that day.
 */
export function startOfDay(day: string, zone: string): string | undefined {
  const match = DAY.exec(day);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const midnight = Date.UTC(year, month - 1, date);
  const check = new Date(midnight);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date)
    return undefined;
  // Midnight on the wall clock, less the offset then; the offset may differ at the result (a
  // clock change that day), so correct once more and keep the earliest instant on that day.
  let at = midnight - utcOffsetMinutes(new Date(midnight), zone) * 60_000;
  at = midnight - utcOffsetMinutes(new Date(at), zone) * 60_000;
  const wallDay = (instant: number) => {
    const parts = partsIn(new Date(instant), zone);
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
  // A skipped midnight lands on the day before: move forward to the first hour on the day.
  while (wallDay(at) < day) at += 15 * 60_000;
  return new Date(at).toISOString();
}

/** The calendar day after `day` (`YYYY-MM-DD`). */
export function nextDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** A `<time>` element showing `iso` in `zone`, with the UTC instant in its title (shown on hover) and `datetime`. */
export function timeHtml(iso: string, zone: string): SafeHtml {
  if (!isInstant(iso)) return html`${iso}`;
  const utc = formatInstant(iso, 'UTC');
  return validTimeZone(zone) === 'UTC'
    ? html`<time datetime="${iso}">${utc}</time>`
    : html`<time datetime="${iso}" title="${utc}">${formatInstant(iso, zone)}</time>`;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
