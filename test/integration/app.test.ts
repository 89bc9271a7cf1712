import { startRuntime, type RunningRuntime } from '../support/runtime';

describe('the app under the local runtime (what npm start serves)', () => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime.dispose();
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    const other = await startRuntime();
    expect(await other.stop()).toBe(0);
    expect(other.output()).toMatch(/SIGTERM: shutting down/);
    await other.dispose();
  });

  it('answers GET /api/health with 200 {"status":"ok"} once the store answers', async () => {
    const response = await fetch(`${runtime.url}/api/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('registers the approval orchestrator from orchestrations/ through the package.json main glob', () => {
    expect(runtime.output()).toMatch(/approvalOrchestrator: orchestrationTrigger/);
    expect(runtime.output()).toMatch(/health: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/health/);
  });

  it('answers an unknown route with a problem+json 404 and a wrong method on a known route with 405 and Allow (its catch-all, not the host)', async () => {
    const unknown = await fetch(`${runtime.url}/api/nope`);
    expect([unknown.status, unknown.headers.get('content-type'), unknown.headers.get('x-error-code')]).toEqual([
      404,
      'application/problem+json',
      'not_found',
    ]);
    const wrong = await fetch(`${runtime.url}/api/health`, { method: 'DELETE' });
    expect([wrong.status, wrong.headers.get('allow'), wrong.headers.get('x-error-code')]).toEqual([
      405,
      'GET',
      'method_not_allowed',
    ]);
  });

  it('has no clock endpoint unless the clock is manual', async () => {
    const response = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: '{"advance":"P1D"}' });
    expect(response.status).toBe(404);
  });
});

describe('GET /api/openapi.json', () => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime.dispose();
  });

  it('serves an OpenAPI 3.1 document generated from the schemas, listing the endpoints the app serves', async () => {
    const response = await fetch(`${runtime.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/approvals/{token}',
      '/audit',
      '/health',
      '/openapi.json',
      '/ops/audit/checkpoints',
      '/ops/audit/checkpoints/latest',
      '/ops/dashboard',
      '/ops/dashboard/instances/{id}',
      '/ops/dashboard/requests',
      '/ops/dashboard/stuck',
      '/ops/instances',
      '/ops/instances/{id}',
      '/ops/instances/{id}/terminate',
      '/ops/requests/{id}/redrive',
      '/ops/stuck',
      '/ops/summary',
      '/policies',
      '/policies/{id}',
      '/portal',
      '/portal/new',
      '/portal/requests',
      '/portal/requests/{id}',
      '/portal/requests/{id}/audit.csv',
      '/portal/zone',
      '/requests',
      '/requests/evaluate',
      '/requests/{id}',
      '/requests/{id}/approve',
      '/requests/{id}/audit',
      '/requests/{id}/cancel',
      '/requests/{id}/complete',
      '/requests/{id}/reject',
    ]);
    expect(Object.keys(document.paths['/policies/{id}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(document.paths['/health']!.get!.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { type: 'object' } } },
    });
    const link = document.paths['/approvals/{token}'] as Record<string, any>;
    expect(Object.keys(link).sort()).toEqual(['get', 'post']);
    expect(link.get.responses['200']).toMatchObject({ content: { 'text/html': { schema: { type: 'string' } } } });
    expect(Object.keys(link.post.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(
      Object.keys(link.post.requestBody.content['application/x-www-form-urlencoded'].schema.properties).sort(),
    ).toEqual(['csrf', 'decision', 'notes']);
    const ops = document.paths as Record<string, any>;
    expect(ops['/ops/instances'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'continuationToken',
      'createdFrom',
      'createdTo',
      'runtimeStatus',
      'top',
    ]);
    expect(ops['/ops/requests/{id}/redrive'].post.requestBody.content['application/json'].schema).toMatchObject({
      required: ['reason'],
      additionalProperties: false,
    });
  });
});
