/** An app key for tests that parse the app's settings without the local runtime (which supplies one). */
export const TEST_APP_KEY = `test-1:${Buffer.alloc(32, 9).toString('base64')}`;

/** `env` with {@link TEST_APP_KEY} as `MAA_APP_KEY` unless it sets one. */
export function withAppKey<T extends Record<string, string | undefined>>(env: T): T & { MAA_APP_KEY: string } {
  return { MAA_APP_KEY: TEST_APP_KEY, ...env } as T & { MAA_APP_KEY: string };
}
