/**
 * The local sign-in (the runtime's stand-in for App Service Authentication) only ever sends the
 * browser back to a path on this runtime, whatever `returnTo` / `post_login_redirect_uri` /
 * `post_logout_redirect_uri` an attacker's link carries; nothing it is given answers 500.
 */
import { conformanceAppDir } from '../support/conformance';
import { startRuntime, type RunningRuntime } from '../support/runtime';

jest.setTimeout(30_000);

const RAW_ATTACKS = [
  '/%09/evil.example',
  '/%0A',
  '%0A',
  '/%0D%0ASet-Cookie:%20x=1',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  'https://evil.example',
  'javascript:alert(1)',
  `/${'a'.repeat(5000)}`,
];
/** [how the test names it, the raw query value]. */
const ATTACKS = RAW_ATTACKS.map((raw) => [
  raw.length > 60 ? `${raw.slice(0, 12)}… (${raw.length} characters)` : raw,
  raw,
]);

describe('local sign-in returnTo', () => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime({ appDir: conformanceAppDir });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const location = async (pathAndQuery: string) => {
    const response = await fetch(`${runtime.url}${pathAndQuery}`, { redirect: 'manual' });
    await response.arrayBuffer();
    return [response.status, response.headers.get('location'), response.headers.get('set-cookie') ?? ''];
  };

  it.each(ATTACKS)('signs in and goes back to / for returnTo=%s', async (_name, attack) => {
    const [status, target, cookie] = await location(`/_local/signin?user=bob&returnTo=${attack}`);
    expect([status, target]).toEqual([303, '/']);
    expect(cookie).toMatch(/^maa_local_principal=b0b00000-/);
  });

  it.each(ATTACKS)('signs out and goes back to / for returnTo=%s', async (_name, attack) => {
    expect((await location(`/_local/signout?returnTo=${attack}`)).slice(0, 2)).toEqual([303, '/']);
    expect((await location(`/.auth/logout?post_logout_redirect_uri=${attack}`)).slice(0, 2)).toEqual([303, '/']);
  });

  it.each(ATTACKS)(
    'sends the platform login for post_login_redirect_uri=%s to the sign-in with returnTo=/',
    async (_name, attack) => {
      expect((await location(`/.auth/login/aad?post_login_redirect_uri=${attack}`)).slice(0, 2)).toEqual([
        303,
        '/_local/signin?returnTo=%2F',
      ]);
    },
  );

  it('keeps a same-site path, query and fragment, percent-encoding what a header cannot carry', async () => {
    expect(
      (
        await location(`/_local/signin?user=bob&returnTo=${encodeURIComponent('/api/portal/requests?view=mine#top')}`)
      ).slice(0, 2),
    ).toEqual([303, '/api/portal/requests?view=mine#top']);
    expect(
      (await location(`/_local/signin?user=bob&returnTo=${encodeURIComponent('/api/portal/€')}`)).slice(0, 2),
    ).toEqual([303, '/api/portal/%E2%82%AC']);
  });

  it('shows the chooser page with the fallback, not the attacker’s target', async () => {
    const response = await fetch(`${runtime.url}/_local/signin?returnTo=/%09/evil.example`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('returnTo=%2F"');
    expect(html).not.toContain('evil.example');
  });
});
