/**
 * The app's functions as they register, for handler tests without the Functions host. A test file
 * replaces the two registration calls with {@link recordRegistrations} (jest.mock factories), loads
 * the function modules, and calls a registered handler as the host would: with an `HttpRequest`,
 * and for Durable client functions a client.
 */
export const registered = new Map<string, { handler: (...args: unknown[]) => Promise<unknown> }>();

/** `@azure/functions` with `app.http` recording instead of registering with the host. */
export function recordAzureFunctions(): typeof import('@azure/functions') {
  const actual = jest.requireActual<typeof import('@azure/functions')>('@azure/functions');
  const http = (name: string, options: { handler: (...args: unknown[]) => Promise<unknown> }) =>
    void registered.set(name, options);
  return { ...actual, app: { ...actual.app, http } } as typeof actual;
}

/** `durable-functions` with `app.client.http` recording and orchestrations and activities not registered. */
export function recordDurableFunctions(): typeof import('durable-functions') {
  const actual = jest.requireActual<typeof import('durable-functions')>('durable-functions');
  const http = (name: string, options: { handler: (...args: unknown[]) => Promise<unknown> }) =>
    void registered.set(name, options);
  const ignore = () => undefined;
  return {
    ...actual,
    app: { ...actual.app, orchestration: ignore, activity: ignore, client: { ...actual.app.client, http } },
  } as unknown as typeof actual;
}
