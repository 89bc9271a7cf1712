import type { IncomingMessage } from 'node:http';
import type { HostResponse } from '../host/httpHost';

/** A handler for a `/_local/...` endpoint. */
export type LocalRoute = (request: IncomingMessage, url: URL, body: Buffer) => Promise<HostResponse> | HostResponse;

/** The runtime's own endpoints by path; a path registered as `/_local/<prefix>/*` serves every path below the prefix. */
export class LocalRoutes {
  private readonly routes = new Map<string, LocalRoute>();

  set(path: string, handler: LocalRoute): void {
    this.routes.set(path, handler);
  }

  /** The handler for `pathname` (trailing slashes ignored), exact paths before prefixes. */
  find(pathname: string): LocalRoute | undefined {
    const exact = this.routes.get(pathname.replace(/\/+$/, ''));
    if (exact) return exact;
    for (const [route, handler] of this.routes) {
      if (route.endsWith('/*') && pathname.startsWith(route.slice(0, -1))) return handler;
    }
    return undefined;
  }

  /** The registered paths, sorted. */
  paths(): string[] {
    return [...this.routes.keys()].sort();
  }
}
