import type { ManagementRequest, ManagementResponse } from './managementApi';

/** Answers one management API request: the API itself, or the host across the app thread's port. */
export type ManagementHandler = (request: ManagementRequest) => Promise<ManagementResponse>;

interface AxiosConfig {
  url?: string;
  method?: string;
  data?: unknown;
  headers?: { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
  validateStatus?: ((status: number) => boolean) | null;
}

interface AxiosModule {
  defaults: { adapter?: unknown };
  getAdapter(name: string): (config: AxiosConfig) => Promise<unknown>;
  AxiosError: new (message: string, code: string, config: AxiosConfig, request: unknown, response: unknown) => Error;
}

/**
 * Serves the app's `DurableClient` calls to `rpcBaseUrl` without a socket: the SDK still builds
 * the same HTTP requests (method, URL, headers, JSON body) and gets the same status, headers and
 * body back from the same management API (`handle`: in this thread, or the host's across the app
 * thread's message port), without a loopback socket in between. Other URLs go
 * through axios's normal HTTP adapter. Returns false when the app's durable-functions has no axios
 * to attach to (the client then simply uses the loopback listener).
 */
export function installInProcessTransport(appDir: string, rpcBaseUrl: string, handle: ManagementHandler): boolean {
  let axios: AxiosModule;
  try {
    const durableEntry = require.resolve('durable-functions', { paths: [appDir] });
    const axiosPath = require.resolve('axios', { paths: [durableEntry] });
    axios = require(axiosPath) as AxiosModule;
  } catch {
    return false;
  }
  const http = axios.getAdapter('http');
  axios.defaults.adapter = async (config: AxiosConfig) => {
    const url = config.url ?? '';
    if (!url.startsWith(rpcBaseUrl)) return http(config);
    const parsed = new URL(url);
    const headers = (config.headers?.toJSON ? config.headers.toJSON() : { ...config.headers }) as Record<
      string,
      string
    >;
    const lowered = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    const body =
      config.data === undefined || config.data === null ? Buffer.alloc(0) : Buffer.from(String(config.data), 'utf8');
    const result = await handle({
      method: (config.method ?? 'get').toUpperCase(),
      path: parsed.pathname.slice(new URL(rpcBaseUrl).pathname.length),
      query: parsed.searchParams,
      headers: lowered,
      body,
      url,
    });
    const response = {
      data: result.body === undefined ? '' : JSON.stringify(result.body),
      status: result.status,
      statusText: '',
      headers: Object.fromEntries(Object.entries(result.headers).map(([name, value]) => [name.toLowerCase(), value])),
      config,
      request: {},
    };
    if (!config.validateStatus || config.validateStatus(result.status)) return response;
    throw new axios.AxiosError(
      `Request failed with status code ${result.status}`,
      'ERR_BAD_RESPONSE',
      config,
      {},
      response,
    );
  };
  return true;
}
