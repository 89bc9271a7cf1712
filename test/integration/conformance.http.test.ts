/**
 * Conformance: HTTP triggers and the timer trigger of the fixture app, served by the local runtime
 * the way the Azure Functions host serves them.
 */
import { startRuntime, type RunningRuntime } from '../support/runtime';
import { call, conformanceAppDir, postJson, sleep } from '../support/conformance';

const BODY_LIMIT = 2048;

jest.setTimeout(30_000);

let rt: RunningRuntime;
let base: string;

beforeAll(async () => {
  rt = await startRuntime({
    appDir: conformanceAppDir,
    env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(BODY_LIMIT) },
  });
  base = rt.url;
}, 30_000);

afterAll(async () => {
  await rt?.dispose();
});

/** GET a path under the runtime and return the reply. */
const get = (path: string, init?: RequestInit) => call(`${base}${path}`, init);

describe('HTTP routing', () => {
  test('binds an {id:int} route parameter into request.params as a string, like the host route constraints', async () => {
    const reply = await get('/api/items/42');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: '42', params: { id: '42' } });
  });

  test('answers 404 when an {id:int} constraint does not match, like the host (no function is invoked)', async () => {
    expect((await get('/api/items/abc')).status).toBe(404);
    expect((await get('/api/items/4.2')).status).toBe(404);
    expect((await get('/api/items')).status).toBe(404);
  });

  test('leaves an optional {name?} parameter unset when the segment is absent, like the host', async () => {
    const without = await get('/api/greet');
    expect(without.status).toBe(200);
    expect(without.body).toEqual({ name: null, greeting: 'Hello, anonymous!' });
    const withName = await get('/api/greet/Ada');
    expect(withName.status).toBe(200);
    expect(withName.body).toEqual({ name: 'Ada', greeting: 'Hello, Ada!' });
  });

  test('fills a {code=en} parameter with its default value when the segment is absent, like the host', async () => {
    expect((await get('/api/lang')).body).toEqual({ code: 'en' });
    expect((await get('/api/lang/fr')).body).toEqual({ code: 'fr' });
  });

  test('passes over a route whose template matches but whose method does not, to the next matching route (a catch-all), like the host', async () => {
    expect((await get('/api/files/upload', { method: 'POST', body: '' })).body).toEqual({ upload: true });
    const passedOver = await get('/api/files/upload');
    expect(passedOver.status).toBe(200);
    expect(passedOver.body).toEqual({ path: 'upload' });
  });

  test('binds the rest of the path to a {*path} catch-all parameter, like the host', async () => {
    const nested = await get('/api/files/docs/2024/report.final.txt');
    expect(nested.status).toBe(200);
    expect(nested.body).toEqual({ path: 'docs/2024/report.final.txt' });
    expect((await get('/api/files/single')).body).toEqual({ path: 'single' });
  });

  test('exposes every route parameter in request.params and the query separately, like the host', async () => {
    const reply = await get('/api/orders/A-17/lines/3?expand=true');
    expect(reply.status).toBe(200);
    expect(reply.body.params).toEqual({ orderId: 'A-17', lineNo: '3' });
    expect(reply.body.query).toEqual({ expand: ['true'] });
    expect(reply.body.method).toBe('GET');
    expect((await get('/api/orders/A-17/lines/three')).status).toBe(404);
  });

  test('matches literal route segments case-insensitively, like ASP.NET routing in the host', async () => {
    for (const path of ['/api/CaseRoute/Literal', '/api/caseroute/literal', '/api/CASEROUTE/LITERAL']) {
      const reply = await get(path);
      expect({ path, status: reply.status, text: reply.text }).toEqual({ path, status: 200, text: 'case-route-ok' });
    }
  });

  test('serves a function without a route at /api/<function name>, case-insensitively, like the host', async () => {
    const reply = await get('/api/defaultRouteFn');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ functionName: 'defaultRouteFn', method: 'GET' });
    expect((await get('/api/defaultroutefn')).status).toBe(200);
  });

  test('accepts only GET and POST for a function declared without methods (the library default), like the host', async () => {
    expect((await get('/api/defaultRouteFn', { method: 'POST', body: 'x' })).body).toEqual({
      functionName: 'defaultRouteFn',
      method: 'POST',
    });
    expect((await get('/api/defaultRouteFn', { method: 'PUT', body: 'x' })).status).toBe(404);
    expect((await get('/api/defaultRouteFn', { method: 'DELETE' })).status).toBe(404);
  });

  test('answers 404 for a method the function does not declare, like the host (not 405)', async () => {
    expect((await get('/api/post-only')).status).toBe(404);
    expect((await get('/api/post-only', { method: 'DELETE' })).status).toBe(404);
    const post = await get('/api/post-only', { method: 'POST', body: '' });
    expect(post.status).toBe(200);
    expect(post.body).toEqual({ method: 'POST' });
  });

  test('answers 404 for routes no function declares, like the host', async () => {
    expect((await get('/api/does-not-exist')).status).toBe(404);
    expect((await get('/api/items/1/extra')).status).toBe(404);
    expect((await get('/not-under-the-prefix/items/1')).status).toBe(404);
    expect((await get('/api/does-not-exist', { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('HTTP requests', () => {
  test('decodes the query string into request.query, joining a repeated key with commas, like the host', async () => {
    // The host hands the worker the query as a name -> value map; ASP.NET joins repeated values with ",".
    const reply = await get('/api/inspect?a=1&b=two&b=three&empty=&enc=%C3%A9t%C3%A9%20ok&plus=a+b');
    expect(reply.status).toBe(200);
    expect(reply.body.query).toEqual({
      a: ['1'],
      b: ['two,three'],
      empty: [''],
      enc: ['été ok'],
      plus: ['a b'],
    });
  });

  test('gives the handler the full request URL, the method and the request headers, like the host', async () => {
    const reply = await get('/api/inspect?x=1', {
      method: 'PATCH',
      body: 'ignored',
      headers: { 'X-Test-Header': 'Value-123', 'user-agent': 'conformance-agent/1.0', cookie: 'a=1; b=2' },
    });
    expect(reply.status).toBe(200);
    const url = new URL(reply.body.url);
    expect(url.pathname).toBe('/api/inspect');
    expect(url.search).toBe('?x=1');
    expect(reply.body.method).toBe('PATCH');
    expect(reply.body.header).toBe('Value-123');
    expect(reply.body.userAgent).toBe('conformance-agent/1.0');
    expect(reply.body.cookieHeader).toBe('a=1; b=2');
  });

  test('passes the function name and a fresh invocation id to every invocation, like the host', async () => {
    const first = await get('/api/inspect');
    const second = await get('/api/inspect');
    expect(first.body.functionName).toBe('inspect');
    expect(first.body.invocationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    expect(second.body.invocationId).not.toBe(first.body.invocationId);
  });

  test('round-trips a JSON request body through request.json(), like the host', async () => {
    const value = {
      text: 'héllo "wörld" ✓',
      n: -3.25,
      ok: false,
      none: null,
      list: [1, 'two', { three: 3 }],
      nested: { a: { b: {} } },
    };
    const reply = await postJson(`${base}/api/echo`, value);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body.kind).toBe('json');
    expect(reply.body.value).toEqual(value);
  });

  test('round-trips a UTF-8 text body through request.text(), like the host', async () => {
    const text = 'héllo ✓ 世界\nsecond line\t with tab';
    const reply = await get('/api/echo', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: text,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ kind: 'text', contentType: 'text/plain; charset=utf-8', value: text });
  });

  test('parses a form-urlencoded body through request.formData(), like the host', async () => {
    const reply = await get('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=x+y&b=%C3%A9t%C3%A9&empty=',
    });
    expect(reply.status).toBe(200);
    expect(reply.body.kind).toBe('form');
    expect(reply.body.value).toEqual({ a: ['1'], b: ['x y', 'été'], empty: [''] });
  });

  test('delivers a binary body byte for byte through request.arrayBuffer(), like the host', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const reply = await get('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(reply.status).toBe(200);
    expect(reply.body.kind).toBe('binary');
    expect(reply.body.length).toBe(256);
    expect(Buffer.from(reply.body.base64, 'base64').equals(bytes)).toBe(true);
  });

  test('returns a Buffer response body byte for byte (no text re-encoding), like the host', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x0d, 0x7f, 0xe2, 0x82]);
    const response = await fetch(`${base}/api/echo/raw`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe('HTTP responses', () => {
  test('uses the status the handler returns, with its headers and body, like the host', async () => {
    const created = await get('/api/status/201', { method: 'POST', body: '' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/items/7');
    expect(created.body).toEqual({ created: 7 });

    const teapot = await get('/api/status/418');
    expect(teapot.status).toBe(418);
    expect(teapot.text).toBe('status 418');
    expect(teapot.headers.get('content-type')).toMatch(/^text\/plain/i);

    const accepted = await get('/api/status/202');
    expect(accepted.status).toBe(202);

    const noContent = await get('/api/status/204');
    expect(noContent.status).toBe(204);
    expect(noContent.text).toBe('');
  });

  test('sends the handler’s custom headers and content type unchanged, like the host', async () => {
    const reply = await get('/api/headers');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-custom-a')).toBe('alpha');
    expect(reply.headers.get('x-custom-b')).toBe('beta');
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.headers.get('content-type')).toBe('application/vnd.conformance+json');
    expect(reply.body).toEqual({ ok: true });
  });

  test('turns response cookies into one Set-Cookie header each, with their attributes, like the host', async () => {
    const response = await fetch(`${base}/api/cookies`);
    expect(response.status).toBe(200);
    await response.text();
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    const parsed = cookies.map((header) => {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const map = new Map<string, string>();
      for (const attribute of attributes) {
        const eq = attribute.indexOf('=');
        if (eq < 0) map.set(attribute.toLowerCase(), '');
        else map.set(attribute.slice(0, eq).toLowerCase(), attribute.slice(eq + 1));
      }
      return { pair, attributes: map };
    });
    const session = parsed.find((c) => c.pair.startsWith('session='));
    const theme = parsed.find((c) => c.pair.startsWith('theme='));
    expect(session?.pair).toBe('session=abc123');
    expect(session?.attributes.get('path')).toBe('/');
    expect(session?.attributes.get('domain')).toBe('example.test');
    expect(session?.attributes.get('max-age')).toBe('3600');
    expect(session?.attributes.get('samesite')?.toLowerCase()).toBe('strict');
    expect(session?.attributes.has('httponly')).toBe(true);
    expect(session?.attributes.has('secure')).toBe(true);
    expect(theme?.pair).toBe('theme=dark');
    expect(theme?.attributes.get('samesite')?.toLowerCase()).toBe('lax');
    expect(new Date(theme?.attributes.get('expires') ?? 'invalid').toISOString()).toBe('2099-01-01T00:00:00.000Z');
    expect(theme?.attributes.has('httponly')).toBe(false);
  });

  test('answers 500 without leaking the exception message or stack when a handler throws, like the host', async () => {
    for (const path of ['/api/boom', '/api/boom/sync']) {
      const reply = await get(path);
      expect({ path, status: reply.status }).toEqual({ path, status: 500 });
      expect(reply.text).not.toMatch(/secret|hunter2|TypeError|Error:|\bat\s+\S+\s+\(|\.js:\d+/);
    }
    // The host keeps serving after a failed invocation.
    expect((await get('/api/greet/again')).body).toEqual({ name: 'again', greeting: 'Hello, again!' });
  });
});

describe('HTTP request body limit', () => {
  test(`accepts a body of exactly FUNCTIONS_REQUEST_BODY_SIZE_LIMIT bytes (${BODY_LIMIT}), like the host`, async () => {
    const body = 'x'.repeat(BODY_LIMIT);
    const reply = await get('/api/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(reply.status).toBe(200);
    expect(reply.body.value).toHaveLength(BODY_LIMIT);
  });

  test('answers 413 for a body one byte over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, like the host', async () => {
    const reply = await get('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(BODY_LIMIT + 1),
    });
    expect(reply.status).toBe(413);
    expect(reply.text).not.toContain('x'.repeat(100));
  });

  test('answers 413 for an oversized chunked body sent without Content-Length, like the host', async () => {
    const chunk = new TextEncoder().encode('y'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    let status: number;
    try {
      const response = await fetch(`${base}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: stream,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      status = response.status;
      await response.text();
    } catch (error) {
      // A server may answer 413 and close before the whole upload is sent; fetch then fails.
      status = -1;
      void error;
    }
    expect(status).toBe(413);
  });

  test('still serves normal requests after rejecting an oversized body', async () => {
    expect((await get('/api/greet/after-413')).status).toBe(200);
  });
});

describe('timer trigger', () => {
  test('invokes a */1 * * * * * (six-field NCRONTAB) timer about every second with a Timer object, like the host', async () => {
    const first = await get('/api/ticks');
    expect(first.status).toBe(200);
    const deadline = Date.now() + 6_000;
    let latest = first;
    while (Date.now() < deadline && latest.body.count < first.body.count + 3) {
      await sleep(250);
      latest = await get('/api/ticks');
    }
    expect(latest.body.count).toBeGreaterThanOrEqual(first.body.count + 3);
    const ticks: { at: string; isPastDue: unknown; hasScheduleStatus: boolean; functionName: string }[] =
      latest.body.ticks;
    const last = ticks.slice(-3);
    for (const tick of last) {
      expect(tick.functionName).toBe('tick');
      expect(typeof tick.isPastDue).toBe('boolean');
    }
    // On-time invocations are not past due.
    expect(last.some((tick) => tick.isPastDue === false)).toBe(true);
    const gaps = last.slice(1).map((tick, i) => Date.parse(tick.at) - Date.parse(last[i]!.at));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(500);
      expect(gap).toBeLessThan(2_000);
    }
  });
});

describe('runtime clock endpoint', () => {
  test('is not exposed unless MAA_LOCAL_CLOCK=manual (404), so a normal run cannot move time', async () => {
    const reply = await postJson(`${base}/_local/clock`, { advance: 'P30D' });
    expect(reply.status).toBe(404);
    const now = await get('/api/now');
    expect(Math.abs(Date.parse(now.body.now) - Date.now())).toBeLessThan(60_000);
  });
});
