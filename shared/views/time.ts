import { html, type SafeHtml } from './html';

/** The zone shown when a viewer chose none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** `zone` when it is an IANA time zone name this runtime knows (e.g. `Europe/Berlin`), else undefined. */
export function validTimeZone(zone: string | undefined | null): string | undefined {
  if (!zone || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The viewer's time zone: the `tz` query parameter, else the `maa-tz` cookie (the pages' setting),
 * else `fallback` (the app's default), else UTC. Unknown names are ignored.
 */
export function viewerTimeZone(query: URLSearchParams, cookieHeader: string | null, fallback?: string): string {
  const fromCookie = /(?:^|;\s*)maa-tz=([^;]+)/.exec(cookieHeader ?? '')?.[1];
  return (
    validTimeZone(query.get('tz')) ??
    validTimeZone(fromCookie === undefined ? undefined : safeDecode(fromCookie)) ??
    validTimeZone(fallback) ??
    DEFAULT_TIME_ZONE
  );
}

/** `iso` in `zone` as `2026-12-07 09:12 CET` (24-hour clock, the zone's short name); the input when it is not an instant. */
export function formatInstant(iso: string, zone: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** A `<time>` element showing `iso` in `zone`, with the UTC instant in its title (shown on hover) and `datetime`. */
export function timeHtml(iso: string, zone: string): SafeHtml {
  const utc = formatInstant(iso, 'UTC');
  return zone === 'UTC'
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
