import type { IncomingMessage } from 'node:http';
import { compareRoutePrecedence, parseRouteTemplate, type RouteTemplate } from '../http/routeTemplate';
import type { HostedFunction } from './appLoader';
import type { InvocationResponse, RpcHttpCookie, RpcHttpData, RpcTypedData } from './functionsCore';
import type { AppInvoker, InvocationInput } from './invoker';

/** An HTTP response ready to write. */
export interface HostResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

interface HttpRoute {
  fn: HostedFunction;
  template: RouteTemplate;
  methods: Set<string> | undefined;
}

/** Builds the `durableClient` input the extension would pass, for a request arriving at `origin`. */
export type DurableClientInput = () => string;

/**
 * Routes requests to HTTP-triggered functions like the Functions host: route templates under the
 * route prefix, method filters, and the worker's RpcHttp shapes in and out.
 */
export class HttpHost {
  private readonly routes: HttpRoute[];

  constructor(
    functions: HostedFunction[],
    private readonly routePrefix: string,
    private readonly invoker: AppInvoker,
    private readonly durableClientInput: DurableClientInput,
    private readonly onError: (functionName: string, error: unknown) => void,
  ) {
    this.routes = functions
      .filter((fn) => fn.kind === 'http')
      .map((fn) => {
        const route = typeof fn.trigger.route === 'string' ? fn.trigger.route : fn.name;
        const methods = Array.isArray(fn.trigger.methods)
          ? new Set((fn.trigger.methods as string[]).map((m) => m.toUpperCase()))
          : undefined;
        return { fn, template: parseRouteTemplate(route.replace(/^\/+/, '')), methods };
      })
      .sort((a, b) => compareRoutePrecedence(a.template, b.template));
  }

  /** Route templates served, for the start-up banner. */
  describeRoutes(): { name: string; methods: string; url: string }[] {
    return this.routes.map((route) => ({
      name: route.fn.name,
      methods: route.methods ? [...route.methods].join(',') : 'ALL',
      url: `/${this.routePrefix ? `${this.routePrefix}/` : ''}${route.template.template}`,
    }));
  }

  /** Whether `pathname` lies under the route prefix (so a miss is this host's 404). */
  owns(pathname: string): boolean {
    return (
      this.routePrefix === '' ||
      pathname === `/${this.routePrefix}` ||
      pathname.toLowerCase().startsWith(`/${this.routePrefix.toLowerCase()}/`)
    );
  }

  /** Handles one request; `undefined` when no function matches. */
  async handle(request: IncomingMessage, url: URL, body: Buffer): Promise<HostResponse | undefined> {
    const method = (request.method ?? 'GET').toUpperCase();
    const path = this.routePrefix === '' ? url.pathname.slice(1) : url.pathname.slice(this.routePrefix.length + 2);
    for (const route of this.routes) {
      if (route.methods && !route.methods.has(method)) continue;
      const params = route.template.match(path);
      if (params) return this.invoke(route.fn, request, url, body, params);
    }
    return undefined;
  }

  private async invoke(
    fn: HostedFunction,
    request: IncomingMessage,
    url: URL,
    body: Buffer,
    params: Record<string, string>,
  ): Promise<HostResponse> {
    const http: RpcHttpData = {
      method: (request.method ?? 'GET').toUpperCase(),
      url: url.href,
      nullableHeaders: headersOf(request),
      nullableQuery: queryOf(url.searchParams),
      nullableParams: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, { value }])),
      identities: [],
    };
    if (body.length > 0) http.body = { bytes: body };
    const inputs: InvocationInput[] = [{ name: fn.triggerBindingName, data: { http } }];
    for (const binding of fn.durableClientBindings)
      inputs.push({ name: binding, data: { string: this.durableClientInput() } });

    let response: InvocationResponse;
    try {
      response = await this.invoker.invoke(fn.registered, inputs);
    } catch (error) {
      this.onError(fn.name, error);
      // Like the host: a failed invocation is a bare 500, never the error's details.
      return { status: 500, headers: [], body: Buffer.alloc(0) };
    }
    const data = httpResult(response);
    if (!data) return { status: 200, headers: [], body: Buffer.alloc(0) };
    const headers: [string, string][] = Object.entries(data.headers ?? {}).map(([name, value]) => [
      name,
      String(value),
    ]);
    for (const cookie of data.cookies ?? []) headers.push(['set-cookie', formatCookie(cookie)]);
    const status = Number(data.statusCode ?? 200);
    return {
      status: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500,
      headers,
      body: bodyBytes(data.body),
    };
  }
}

function httpResult(response: InvocationResponse): RpcHttpData | undefined {
  if (response.returnValue?.http) return response.returnValue.http;
  return response.outputData?.find((output) => output.data.http)?.data.http;
}

function headersOf(request: IncomingMessage): Record<string, { value: string }> {
  const headers: Record<string, { value: string }> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = { value: Array.isArray(value) ? value.join(',') : value };
  }
  return headers;
}

function queryOf(params: URLSearchParams): Record<string, { value: string }> {
  const query: Record<string, { value: string }> = {};
  for (const key of new Set(params.keys())) query[key] = { value: params.getAll(key).join(',') };
  return query;
}

function bodyBytes(body: RpcTypedData | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes !== undefined) return Buffer.from(body.bytes);
  if (body.string !== undefined) return Buffer.from(body.string, 'utf8');
  if (body.json !== undefined) return Buffer.from(body.json, 'utf8');
  return Buffer.alloc(0);
}

/** Formats a cookie from the programming model as a `Set-Cookie` value (RFC 6265). */
export function formatCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value)
    parts.push(`Expires=${new Date(Number(cookie.expires.value.seconds) * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`Max-Age=${Math.trunc(Number(cookie.maxAge.value))}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = String(cookie.sameSite ?? 'none').toLowerCase();
  if (sameSite === 'lax') parts.push('SameSite=Lax');
  else if (sameSite === 'strict') parts.push('SameSite=Strict');
  else if (sameSite === 'explicitnone') parts.push('SameSite=None');
  return parts.join('; ');
}
