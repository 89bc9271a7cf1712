import http from 'node:http';

/** A response with its body read as text. */
export interface HttpResponse {
  status: number;
  body: string;
  headers: import('node:http').IncomingHttpHeaders;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** A keep-alive HTTP/1.1 client for one origin (lighter per request than `fetch`). */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly origin: URL;

  /** `defaultHeaders` go with every request (a request's own headers win). */
  constructor(
    baseUrl: string,
    maxSockets = 64,
    private readonly defaultHeaders: http.OutgoingHttpHeaders = {},
  ) {
    this.origin = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /**
   * Sends a request; `body`, when given, is sent as JSON, and `extraHeaders` are added to the
   * request's headers. Resolves once the whole response is read.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: http.OutgoingHttpHeaders = {},
  ): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = {
      ...this.defaultHeaders,
      ...(payload
        ? { 'content-type': 'application/json', 'content-length': payload.length }
        : method === 'GET'
          ? {}
          : { 'content-length': 0 }),
      ...extraHeaders,
    };
    return new Promise((resolve, reject) => {
      const req = http.request(
        { agent: this.agent, hostname: this.origin.hostname, port: this.origin.port, path, method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like {@link HttpClient.request}, but fails unless the status is one of `expected`. */
  async expect(
    method: string,
    path: string,
    expected: readonly number[],
    body?: unknown,
    extraHeaders?: http.OutgoingHttpHeaders,
  ): Promise<HttpResponse> {
    const response = await this.request(method, path, body, extraHeaders);
    if (!expected.includes(response.status)) {
      throw new Error(
        `${method} ${path} answered ${response.status} (expected ${expected.join('/')}): ${response.body.slice(0, 300)}`,
      );
    }
    return response;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}
