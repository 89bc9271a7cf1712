import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Api, approverGroup, createPolicy } from './api';
import { repoRoot, startRuntime } from './runtime';

/**
 * Headless Chromium for the browser tests, driven by playwright-core (which downloads no browser:
 * it drives the system's). `MAA_CHROMIUM` names the executable; `/usr/bin/chromium` (Debian's
 * `apt-get install chromium`) is the default.
 */
export const chromiumPath = process.env.MAA_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the browser tests run: when Chromium is installed. Without it they are skipped with a
 * notice, so `npm test` works on a machine without a browser; `MAA_REQUIRE_BROWSER=1` (set by CI)
 * turns a missing browser into a failure instead.
 */
export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.MAA_REQUIRE_BROWSER === '1')
    throw new Error(`MAA_REQUIRE_BROWSER=1 but there is no Chromium at ${chromiumPath}`);
  console.warn(
    `browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set MAA_CHROMIUM)`,
  );
  return false;
}

/** Launches headless Chromium with the flags that keep it offline and quiet. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Where screenshots are kept: `test-artifacts/screenshots/` (not committed). */
export const screenshotDir = path.join(repoRoot, 'test-artifacts', 'screenshots');

/** Saves a full-page screenshot as `test-artifacts/screenshots/<name>.png` and returns its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * A runtime with the deviceWipe policy in place, and a browser: what every browser test starts
 * from. `env` adds runtime settings (e.g. `MAA_GROUP_CACHE_SECONDS: '0'` for role changes to show at once).
 */
export async function startBrowserFixture(
  env: Record<string, string> = {},
): Promise<{ api: Api; browser: Browser; dispose(): Promise<void> }> {
  const api = new Api(await startRuntime({ env }));
  const browser = await launchBrowser();
  await createPolicy(api, {
    displayName: 'Wipes',
    profileType: 'deviceWipe',
    approverGroupIds: [await approverGroup(api.runtime)],
  });
  return {
    api,
    browser,
    async dispose() {
      await browser.close();
      await api.runtime.dispose();
    },
  };
}

/** Collects the Content-Security-Policy violations `page` reports (a strict page must cause none). */
export function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
