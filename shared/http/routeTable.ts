/**
 * The app's HTTP routes as one table: each function's route template and methods, recorded as it
 * registers. The catch-all function answers from it what the host cannot: 405 with `Allow` for a
 * known path and another method, 404 problem+json for an unknown path.
 *
 * Templates are the subset the app uses of the host's syntax: literal segments (matched
 * case-insensitively, as the host does), `{name}` (one non-empty segment) and `{*name}` (the rest,
 * possibly empty), last.
 */

/** Every method an HTTP trigger can be registered for, in the order `Allow` lists them. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One registered HTTP function. */
export interface RouteEntry {
  readonly name: string;
  /** The template relative to the route prefix (`requests/{id}/approve`). */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
}

type Segment = { kind: 'literal'; text: string } | { kind: 'parameter' } | { kind: 'rest' };

function parse(route: string): Segment[] {
  const segments = route.split('/').filter((text) => text !== '');
  return segments.map((text, index): Segment => {
    if (/^\{\*{1,2}[A-Za-z_][A-Za-z0-9_]*\}$/.test(text)) {
      if (index !== segments.length - 1) throw new Error(`route '${route}': a catch-all must be the last segment`);
      return { kind: 'rest' };
    }
    if (/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text)) return { kind: 'parameter' };
    if (/[{}]/.test(text))
      throw new Error(`route '${route}': only literal, {name} and {*name} segments are supported here`);
    return { kind: 'literal', text: text.toLowerCase() };
  });
}

function matches(segments: readonly Segment[], path: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === 'rest') return true;
    const part = path[i];
    if (part === undefined || part === '') return false;
    if (segment.kind === 'literal' && segment.text !== safeDecode(part).toLowerCase()) return false;
  }
  return path.length === segments.length;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The app's routes; `allowedAt` answers which methods a path is served for. */
export class RouteTable {
  private readonly entries: { entry: RouteEntry; segments: Segment[] }[] = [];

  /** Records a route; throws for a template outside the supported subset or a name used twice. */
  add(entry: RouteEntry): void {
    if (this.entries.some((known) => known.entry.name === entry.name))
      throw new Error(`function '${entry.name}' is registered twice`);
    this.entries.push({
      entry: Object.freeze({ ...entry, methods: Object.freeze([...entry.methods]) }),
      segments: parse(entry.route),
    });
  }

  /** Every route, in registration order. */
  routes(): readonly RouteEntry[] {
    return this.entries.map((known) => known.entry);
  }

  /**
   * The methods served at `path` (relative to the route prefix, not yet percent-decoded), in
   * {@link HTTP_METHODS} order, by every route but the catch-alls; empty when no route matches.
   */
  allowedAt(path: string): HttpMethod[] {
    const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
    const parts = trimmed === '' ? [] : trimmed.split('/');
    const allowed = new Set<HttpMethod>();
    for (const { entry, segments } of this.entries) {
      if (segments.length === 1 && segments[0]!.kind === 'rest') continue;
      if (matches(segments, parts)) for (const method of entry.methods) allowed.add(method);
    }
    return HTTP_METHODS.filter((method) => allowed.has(method));
  }
}
