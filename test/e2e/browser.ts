// Debian's Chromium driven by playwright-core. Nothing here downloads a
// browser: the executable path is fixed and launch fails if it is missing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { root } from '../support/processes.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(root, 'test-artifacts/screenshots');

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

export const DESKTOP = { width: 1280, height: 820 };
export const PHONE = { width: 375, height: 812 };

/** The sizes issue 18's fixed points are checked at. */
export const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, mobile: false },
  { name: 'phone', viewport: { width: 390, height: 844 }, mobile: true },
  { name: 'narrow', viewport: { width: 320, height: 640 }, mobile: true },
] as const;

/** A page at one of VIEWPORTS (touch and mobile layout on phones). */
export const newPageAt = (browser: Browser, size: (typeof VIEWPORTS)[number]): Promise<Page> =>
  browser.newPage({ viewport: size.viewport, isMobile: size.mobile, hasTouch: size.mobile });

/** A desktop-sized page whose uncaught errors show in the test's output. */
export const desktopPage = async (browser: Browser): Promise<Page> => {
  const page = await browser.newPage({ viewport: DESKTOP });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
};

/** Saves test-artifacts/screenshots/<name>.png. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
};

/** Opens a tab of the app (#/chat …) and waits for the client to be connected. */
export const openPage = async (page: Page, baseUrl: string, route: string): Promise<void> => {
  if (!page.url().startsWith(baseUrl)) await page.goto(`${baseUrl}/#/${route}`);
  else await page.evaluate((hash) => (location.hash = hash), `#/${route}`);
  await page.locator(`[data-page="${route}"]`).waitFor({ state: 'visible' });
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
};

/** Records, inside the page, every text the chat's live bubble shows (read back from `window.liveTexts`). */
export const recordLiveTexts = (page: Page) =>
  page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { liveTexts: string[] }).liveTexts = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="chat-live"]')?.textContent ?? '';
      if (text !== '' && text !== seen.at(-1)) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
