// A real Chromium (Debian's package, /usr/bin/chromium) driven by playwright-core: Playwright's own
// browser download cannot work on this network. Screenshots are kept as test artifacts in
// test-results/screenshots/ (git-ignored), one PNG per name, for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MAINT_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'test-results', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  // As root, Chromium's sandbox cannot start (it needs an unprivileged user namespace).
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A context as a person would have it: a locale, a timezone, a laptop-sized window. */
export async function newContext(browser: Browser, options: { locale?: string; timezoneId?: string; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return browser.newContext({
    locale: options.locale ?? 'en-GB',
    timezoneId: options.timezoneId ?? 'Europe/Amsterdam',
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1366, height: 768 },
  });
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name.replace(/[^a-zA-Z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
