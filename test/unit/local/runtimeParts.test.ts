import type { IncomingMessage } from 'node:http';
import { RuntimeClock } from '../../../local/clock';
import { durableClientInput, managementUrls } from '../../../local/durable/clientInput';
import { AppLoadError } from '../../../local/host/appLoader';
import { reportError, reportedError } from '../../../local/host/appProtocol';
import type { HostResponse } from '../../../local/host/httpHost';
import { clockRoute } from '../../../local/routes/clockRoute';
import { LocalRoutes } from '../../../local/routes/localRoutes';
import { runtimeSettingsFromEnv } from '../../../local/runtimeSettings';

const endpoint = { hubName: 'Hub', systemKey: 'k+y' };
const query = 'taskHub=Hub&connection=Storage&code=k%2By';

describe('Durable client input', () => {
  test('carries creation and management URLs with the task hub and the system key', () => {
    const input = durableClientInput(endpoint, 'http://h:1', 'http://127.0.0.1:2/durabletask/');
    expect(input).toMatchObject({
      taskHubName: 'Hub',
      baseUrl: 'http://h:1/runtime/webhooks/durabletask',
      requiredQueryStringParameters: query,
      rpcBaseUrl: 'http://127.0.0.1:2/durabletask/',
      creationUrls: {
        createNewInstancePostUri: `http://h:1/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]?${query}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `http://h:1/runtime/webhooks/durabletask/instances/INSTANCEID?${query}`,
      },
    });
  });

  test('encodes a real instance id in its management URLs', () => {
    const urls = managementUrls(endpoint, 'a/b c', 'http://h:1');
    expect(urls.sendEventPostUri).toBe(
      `http://h:1/runtime/webhooks/durabletask/instances/a%2Fb%20c/raiseEvent/{eventName}?${query}`,
    );
    expect(urls.id).toBe('a/b c');
  });
});

describe('local routes', () => {
  const ok = (status: number) => () => ({ status, headers: [], body: Buffer.alloc(0) });
  const routes = new LocalRoutes();
  routes.set('/_local/clock', ok(1));
  routes.set('/_local/graph/*', ok(2));

  test.each([
    ['/_local/clock', 1],
    ['/_local/clock/', 1],
    ['/_local/graph/v1.0/users', 2],
    ['/_local/graph', undefined],
    ['/_local/other', undefined],
  ])('%s is served by route %p', (path, status) => {
    const found = routes.find(path);
    expect(
      found && (found({} as IncomingMessage, new URL(`http://h${path}`), Buffer.alloc(0)) as HostResponse).status,
    ).toBe(status);
  });

  test('lists its paths sorted', () => {
    expect(routes.paths()).toEqual(['/_local/clock', '/_local/graph/*']);
  });
});

describe('the clock route', () => {
  const call = (clock: RuntimeClock, manual: boolean, method: string, body = '') =>
    clockRoute(clock, manual)(
      { method } as IncomingMessage,
      new URL('http://h/_local/clock'),
      Buffer.from(body),
    ) as HostResponse;
  const parsed = (response: HostResponse) => JSON.parse(response.body.toString()) as Record<string, unknown>;

  test('does not exist with the real clock', () => {
    expect(call(new RuntimeClock(false), false, 'GET').status).toBe(404);
  });

  test('advances a manual clock and answers the new time', () => {
    const clock = new RuntimeClock(true);
    const before = clock.now();
    const response = call(clock, true, 'POST', '{"advance":"P30D"}');
    expect(response.status).toBe(200);
    expect(Date.parse(parsed(response).now as string)).toBeGreaterThanOrEqual(before + 30 * 24 * 3600 * 1000);
    expect(clock.offset).toBe(30 * 24 * 3600 * 1000);
  });

  test.each([
    ['{', 'invalid_json'],
    ['{"advance":30}', 'invalid_duration'],
    ['{"advance":"P-1D"}', 'invalid_duration'],
  ])('refuses body %s with %s and leaves time alone', (body, code) => {
    const clock = new RuntimeClock(true);
    const response = call(clock, true, 'POST', body);
    expect(response.status).toBe(400);
    expect(parsed(response).code).toBe(code);
    expect(clock.offset).toBe(0);
  });

  test('allows only GET and POST', () => {
    expect(call(new RuntimeClock(true), true, 'DELETE').status).toBe(405);
  });
});

describe('runtime settings', () => {
  test('default to port 7071 on loopback, the real clock, the in-process transport and the app on its own thread', () => {
    expect(runtimeSettingsFromEnv({}, '/app')).toEqual({
      appDir: '/app',
      port: 7071,
      host: '127.0.0.1',
      dataDir: '/app/.data',
      manualClock: false,
      logLevel: 'information',
      bodyLimitBytes: 104_857_600,
      synchronous: 'FULL',
      rpcTransport: 'inprocess',
      appThread: true,
      intuneDeviceDelayMs: 300_000,
    });
  });

  test('take the local Graph permissions as a comma-separated list and the Intune device delay as a duration', () => {
    const settings = runtimeSettingsFromEnv(
      {
        MAA_LOCAL_GRAPH_PERMISSIONS: ' GroupMember.Read.All, DeviceManagementManagedDevices.ReadWrite.All ,',
        MAA_LOCAL_INTUNE_DEVICE_DELAY: 'PT30S',
      },
      '/app',
    );
    expect(settings.graphPermissions).toEqual(['GroupMember.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All']);
    expect(settings.intuneDeviceDelayMs).toBe(30_000);
  });

  test('run the app on the host thread with MAA_LOCAL_APP_THREAD=off', () => {
    expect(runtimeSettingsFromEnv({ MAA_LOCAL_APP_THREAD: 'OFF' }, '/app').appThread).toBe(false);
    expect(runtimeSettingsFromEnv({ MAA_LOCAL_APP_THREAD: 'on' }, '/app').appThread).toBe(true);
  });

  test.each([
    [{ PORT: '70000' }, /PORT must be a port number/],
    [{ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '-1' }, /positive number of bytes/],
    [{ MAA_LOCAL_CLOCK: 'fast' }, /MAA_LOCAL_CLOCK must be "real" or "manual"/],
    [{ MAA_LOCAL_SYNCHRONOUS: 'OFF' }, /FULL or NORMAL/],
    [{ MAA_LOCAL_INTUNE_DEVICE_DELAY: '5 minutes' }, /MAA_LOCAL_INTUNE_DEVICE_DELAY must be an ISO-8601 duration/],
    [{ MAA_LOCAL_RPC_TRANSPORT: 'grpc' }, /"inprocess" or "http"/],
    [{ MAA_LOCAL_APP_THREAD: 'yes' }, /MAA_LOCAL_APP_THREAD must be "on" or "off"/],
  ])('refuse %j', (env, message) => {
    expect(() => runtimeSettingsFromEnv(env, '/app')).toThrow(AppLoadError);
    expect(() => runtimeSettingsFromEnv(env, '/app')).toThrow(message);
  });
});

describe('errors crossing the app thread', () => {
  test('keep their name, message and stack, as the worker reports a failed invocation', () => {
    const thrown = new TypeError('no such device');
    const again = reportedError(reportError(thrown));
    expect(again).toBeInstanceOf(Error);
    expect({ name: again.name, message: again.message, stack: again.stack }).toEqual({
      name: 'TypeError',
      message: 'no such device',
      stack: thrown.stack,
    });
  });

  test('report a thrown non-error as its text', () => {
    expect(reportError('plain text')).toEqual({ name: 'Error', message: 'plain text' });
    expect(reportedError({ name: 'Error', message: 'plain text' }).stack).toBe('Error: plain text');
  });
});
