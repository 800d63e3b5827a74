import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desktopPage, openPage, PHONE, screenshot, recordLiveTexts } from './browser.ts';
import { startDemo, type Stack } from './stack.ts';

let stack: Stack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ stack, browser } = await startDemo());
  page = await desktopPage(browser);
});

// A failure leaves a picture and the processes' last words behind.
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || !page) return;
  const name = `failed-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`;
  await screenshot(page, name).catch(() => undefined);
  console.error(
    `${name}\n--- gateway ---\n${stack.gateway().output().slice(-4000)}\n--- node worker ---\n${stack.nodeWorker.output().slice(-2000)}\n--- python ---\n${stack.python.output().slice(-2000)}`,
  );
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const scoped = (route: string) => page.locator(`[data-page="${route}"]`);

describe('web app in Chromium', () => {
  it('console: sends testRequest and shows chunks, then the result', async () => {
    await openPage(page, stack.url, 'console');
    const console_ = scoped('console');
    await console_.getByTestId('console-payload').fill('{ "count": 3, "delayMs": 150 }');
    await console_.getByRole('button', { name: 'Send' }).click();
    await console_.getByTestId('console-chunks').locator('li').first().waitFor();
    await console_.getByTestId('console-result').waitFor();
    expect(await console_.getByTestId('console-chunks').locator('li').count()).toBe(3);
    expect(await console_.getByTestId('console-result').textContent()).toContain('"count": 3');
    await screenshot(page, 'console');
  });

  it('chat: the message shows at once and the reply streams in token by token', async () => {
    await openPage(page, stack.url, 'chat');
    const chat = scoped('chat');
    // Record every text the live bubble shows, from inside the page.
    await recordLiveTexts(page);
    await chat.getByTestId('chat-input').fill('Does streaming work?');
    await chat.getByTestId('chat-input').press('Enter');
    await chat.getByTestId('chat-user').filter({ hasText: 'Does streaming work?' }).waitFor({ timeout: 1000 });
    await chat.getByTestId('chat-live').waitFor();
    const reply = chat.getByTestId('chat-assistant').last();
    await reply.waitFor({ timeout: 20_000 });
    const finalText = (await reply.textContent()) ?? '';
    const liveTexts = await page.evaluate(() => (window as unknown as { liveTexts: string[] }).liveTexts);
    expect(finalText).toContain('Does streaming work?');
    expect(liveTexts.length).toBeGreaterThanOrEqual(5);
    // Each update extends the previous one: tokens append, nothing is redrawn from scratch.
    for (let i = 1; i < liveTexts.length; i++) expect(liveTexts[i]!.startsWith(liveTexts[i - 1]!), JSON.stringify(liveTexts)).toBe(true);
    expect(finalText.startsWith(liveTexts.at(-1)!)).toBe(true);
    // The client logger's events reach the gateway's log.
    await stack.gateway().waitFor((l) => l.msg === 'chat message sent' && l.source === 'client', 5000);
    await screenshot(page, 'chat');
  });

  it('long task: shows progress, and Cancel stops the worker', async () => {
    await openPage(page, stack.url, 'long-task');
    const task = scoped('long-task');
    await task.getByRole('button', { name: 'Start task' }).click();
    await task
      .getByTestId('task-headline')
      .filter({ hasText: /step [2-9] of 20/ })
      .waitFor({ timeout: 10_000 });
    expect(Number(await task.getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    await screenshot(page, 'long-task-running');
    await task.getByRole('button', { name: 'Cancel' }).click();
    await task.getByTestId('status').filter({ hasText: 'Cancelled' }).waitFor({ timeout: 2000 });
    expect(await task.getByTestId('task-headline').textContent()).toMatch(/^Cancelled after step \d+ of 20$/);
    const line = await stack.nodeWorker.waitFor((l) => String(l.msg).startsWith('longTask stopped at step'), 5000);
    expect(String(line.msg)).toMatch(/longTask stopped at step \d+ of 20/);
    await screenshot(page, 'long-task-cancelled');
  });

  it('errors: each failure renders its code and a readable explanation', async () => {
    await openPage(page, stack.url, 'errors');
    const errors = scoped('errors');
    const codes = ['NO_HANDLER', 'TIMEOUT', 'WORKER_ERROR', 'INVALID_PAYLOAD'];
    for (const code of codes) await errors.getByRole('button', { name: `Trigger ${code}` }).click();
    for (const code of codes) {
      const card = errors.getByTestId(`scenario-${code}`);
      await card.getByTestId('error-code').filter({ hasText: code }).waitFor({ timeout: 10_000 });
      expect(await card.getByTestId('status').textContent()).toBe('Failed');
    }
    expect(await errors.getByTestId('scenario-INVALID_PAYLOAD').textContent()).toContain('count');
    // A thrown error's text never reaches the page (it may carry secrets): a generic message and a log reference do.
    const workerError = await errors.getByTestId('scenario-WORKER_ERROR').textContent();
    expect(workerError).toMatch(/reference [0-9a-f]{12}/);
    expect(workerError).not.toContain('The demo worker gave up on purpose');
    await screenshot(page, 'errors');
  });

  it('phone width: every page fits 375 px without sideways scrolling', async () => {
    const phone = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      for (const route of ['console', 'chat', 'long-task', 'errors']) {
        await openPage(phone, stack.url, route);
        if (route === 'chat') {
          // A conversation, so the picture shows bubbles at phone width.
          await phone.getByRole('button', { name: 'How does streaming work here?' }).click();
          await phone.getByTestId('chat-assistant').waitFor({ timeout: 20_000 });
        }
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${route} scrolls sideways`).toBeLessThanOrEqual(0);
        await screenshot(phone, `phone-${route}`);
      }
    } finally {
      await phone.close();
    }
  });

  it('gateway restart: the banner shows, then the app works again without a reload', async () => {
    await openPage(page, stack.url, 'chat');
    const chat = scoped('chat');
    const replies = chat.getByTestId('chat-assistant');
    const before = await replies.count();
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    await stack.stopGateway();
    const banner = page.getByTestId('connection-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.textContent()).toContain('Reconnecting');
    await screenshot(page, 'reconnecting');
    await stack.startGateway();
    await banner.waitFor({ state: 'hidden', timeout: 20_000 });
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    // Same document (no reload), and requests work again.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);
    await chat.getByTestId('chat-input').fill('Are you back?');
    await chat.getByTestId('chat-input').press('Enter');
    await replies.nth(before).waitFor({ timeout: 20_000 });
    expect(await replies.nth(before).textContent()).toContain('Are you back?');
  });
});
