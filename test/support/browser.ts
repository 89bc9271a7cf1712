import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './runtime';

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
  if (process.env.MAA_REQUIRE_BROWSER === '1') throw new Error(`MAA_REQUIRE_BROWSER=1 but there is no Chromium at ${chromiumPath}`);
  console.warn(`browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set MAA_CHROMIUM)`);
  return false;
}

/** Launches headless Chromium with the flags that keep it offline and quiet. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
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
