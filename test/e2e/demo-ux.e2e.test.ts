import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNodeWorker } from '../support/processes.ts';
import { newPageAt, openPage, screenshot, VIEWPORTS } from './browser.ts';
import { startDemo, type Stack } from './stack.ts';

let stack: Stack;
let browser: Browser;
const pages = new Map<string, Page>();
const active = async (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);
const scoped = (page: Page, route: string) => page.locator(`[data-page="${route}"]`);

beforeAll(async () => {
  ({ stack, browser } = await startDemo());
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  for (const [name, page] of pages) await screenshot(page, `failed-ux-${name}-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 30)}`).catch(() => undefined);
  console.error(`--- gateway ---\n${stack.gateway().output().slice(-3000)}`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Sends a chat message by clicking Send and waits for its whole reply; returns the reply text. */
const chatTurn = async (page: Page, text: string): Promise<string> => {
  const chat = scoped(page, 'chat');
  const replies = chat.getByTestId('chat-assistant');
  const before = await replies.count();
  await chat.getByTestId('chat-input').fill(text);
  await chat.getByTestId('chat-action').click();
  await replies.nth(before).waitFor({ timeout: 20_000 });
  return (await replies.nth(before).textContent()) ?? '';
};

describe.each(VIEWPORTS)('at $name size', (size) => {
  let page: Page;
  beforeAll(async () => {
    page = await newPageAt(browser, size);
    page.on('pageerror', (error) => console.error(`page error (${size.name}):`, error.message));
    pages.set(size.name, page);
  });

  it('the tab strip fits the width, nothing scrolls sideways', async () => {
    await openPage(page, stack.url, 'console');
    const tabs = await page
      .locator('.tab')
      .evaluateAll((links) => links.map((a) => ({ left: a.getBoundingClientRect().left, right: a.getBoundingClientRect().right })));
    expect(tabs.length).toBe(5);
    for (const tab of tabs) {
      expect(tab.left).toBeGreaterThanOrEqual(0);
      expect(tab.right).toBeLessThanOrEqual(size.viewport.width);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, `ux-${size.name}-console`);
  });

  it('console: the response comes into view, the chunk list follows, focus stays after Send and Cancel', async () => {
    const c = scoped(page, 'console');
    await c.getByTestId('console-payload').fill('{ "count": 30, "delayMs": 60 }');
    await c.getByTestId('console-send').click();
    expect(await active(page)).toBe('console-send');
    const chunks = c.getByTestId('console-chunks');
    await chunks.locator('li').nth(24).waitFor({ timeout: 10_000 });
    // The Response card is in the viewport (on a phone it was below the form).
    // Its heading below the sticky header, not under it.
    const heading = (await c.getByTestId('console-output').getByRole('heading', { name: 'Response' }).boundingBox())!;
    const header = (await page.locator('.topbar').boundingBox())!;
    expect(heading.y).toBeGreaterThanOrEqual(header.y + header.height - 1);
    expect(heading.y + heading.height).toBeLessThanOrEqual(size.viewport.height);
    // The newest chunk is inside the list's visible area.
    const follows = await chunks.evaluate((list) => {
      const last = list.lastElementChild!.getBoundingClientRect();
      const box = list.getBoundingClientRect();
      return { lastBottom: last.bottom, listBottom: box.bottom, lastTop: last.top, listTop: box.top, scrolled: list.scrollTop };
    });
    expect(follows.scrolled).toBeGreaterThan(0);
    expect(follows.lastBottom).toBeLessThanOrEqual(follows.listBottom + 1);
    expect(follows.lastTop).toBeGreaterThanOrEqual(follows.listTop - 1);
    await screenshot(page, `ux-${size.name}-console-chunks`);
    await c.getByTestId('console-result').waitFor({ timeout: 10_000 });
    // Its hops: accepted, published, picked up by the Node worker, first chunk, result.
    const hops = c.getByTestId('hop-timeline');
    await hops.locator('[data-hop="result"]').waitFor({ timeout: 5000 });
    expect(await hops.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-hop')))).toEqual([
      'accepted',
      'published',
      'picked-up',
      'first-chunk',
      'result',
    ]);
    expect(await hops.locator('[data-hop="picked-up"]').textContent()).toMatch(/Picked up by Node worker demo-node/);
    expect(await c.locator('.trace-id').textContent()).toMatch(/trace [0-9a-f]{32}/);

    await c.getByTestId('console-payload').fill('{ "count": 30, "delayMs": 200 }');
    await c.getByTestId('console-send').click();
    await chunks.locator('li').nth(1).waitFor();
    await c.getByTestId('console-cancel').click();
    await c.getByTestId('status').filter({ hasText: 'Cancelled' }).waitFor();
    expect(await active(page)).toBe('console-cancel');
  });

  it('chat: the composer stays inside the viewport and focus stays in the input after Send and Stop', async () => {
    await openPage(page, stack.url, 'chat');
    const chat = scoped(page, 'chat');
    for (const text of ['Hello there, my name is Ada.', 'How does streaming work here?', 'Do you remember what I said?']) {
      await chatTurn(page, text);
      expect(await active(page)).toBe('chat-input');
    }
    // However the page is scrolled, the composer stays in view.
    await page.evaluate(() => window.scrollTo(0, 100_000));
    const composer = (await chat.locator('.chat-composer').boundingBox())!;
    expect(composer.y).toBeGreaterThanOrEqual(0);
    expect(composer.y + composer.height).toBeLessThanOrEqual(size.viewport.height);
    await screenshot(page, `ux-${size.name}-chat`);

    // Stop while it streams: focus goes back to the input.
    await chat.getByTestId('chat-input').fill('Tell me about cancelling.');
    await chat.getByTestId('chat-action').click();
    await chat
      .getByTestId('chat-live')
      .filter({ hasText: /\w+ \w+/ })
      .waitFor({ timeout: 10_000 });
    await chat.getByTestId('chat-action').click();
    await chat.locator('.bubble-note').filter({ hasText: 'Stopped' }).last().waitFor();
    expect(await active(page)).toBe('chat-input');

    // A reply that ends while focus is on Stop: focus moves to the input, not to the page.
    await chat.getByTestId('chat-input').fill('One more, please.');
    await chat.getByTestId('chat-input').press('Enter');
    await chat.getByTestId('chat-live').waitFor();
    await chat.getByTestId('chat-action').focus();
    expect(await active(page)).toBe('chat-action');
    await chat.getByTestId('chat-live').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await active(page)).toBe('chat-input');
  });
});

describe('the connection banner while scrolled, at every size', () => {
  it('stays visible above the content when the gateway goes away, and leaves when it is back', async () => {
    for (const page of pages.values()) {
      await openPage(page, stack.url, 'chat');
      await page.evaluate(() => {
        window.scrollTo(0, 100_000);
        const thread = document.querySelector('[data-testid="chat-thread"]');
        if (thread) thread.scrollTop = thread.scrollHeight;
      });
    }
    await stack.stopGateway();
    try {
      for (const [name, page] of pages) {
        const banner = page.getByTestId('connection-banner');
        await banner.waitFor({ state: 'visible', timeout: 10_000 });
        const box = (await banner.boundingBox())!;
        const { height } = page.viewportSize()!;
        expect(box.y, name).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height, name).toBeLessThanOrEqual(height);
        // Nothing covers it: the element at its centre is the banner itself.
        const onTop = await page.evaluate(({ x, y }) => !!document.elementFromPoint(x, y)?.closest('[data-testid="connection-banner"]'), {
          x: box.x + box.width / 2,
          y: box.y + box.height / 2,
        });
        expect(onTop, name).toBe(true);
        await screenshot(page, `ux-${name}-banner`);
      }
    } finally {
      await stack.startGateway();
    }
    for (const page of pages.values()) await page.getByTestId('connection-banner').waitFor({ state: 'hidden', timeout: 20_000 });
  });
});

describe('the demo as a product (1280×800)', () => {
  const desktop = () => pages.get('desktop')!;

  it('each page has its own title; the first screen says what Warren is and links to working docs', async () => {
    const page = desktop();
    const titles: string[] = [];
    for (const route of ['console', 'chat', 'long-task', 'errors', 'operations']) {
      await page.evaluate((hash) => (location.hash = hash), `#/${route}`);
      await page.locator(`[data-page="${route}"]`).waitFor({ state: 'visible' });
      titles.push(await page.title());
    }
    expect(new Set(titles).size).toBe(5);
    expect(titles[0]).toBe('Request console · Warren demo');
    await openPage(page, stack.url, 'console');
    const intro = scoped(page, 'console').locator('.intro');
    expect(await intro.textContent()).toMatch(/Warren lets a web page call backend work/);
    const href = await intro.getByRole('link', { name: 'Read the documentation' }).getAttribute('href');
    const docs = await fetch(new URL(href!, `${stack.url}/`));
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('Call backend work from a React app');
  });

  it('an invalid timeout is explained at the field, and Send takes you there', async () => {
    const c = scoped(desktop(), 'console');
    await c.getByTestId('console-timeout').fill('soon');
    await c.getByTestId('timeout-error').waitFor();
    expect(await c.getByTestId('console-send').isDisabled()).toBe(false);
    await c.getByTestId('console-send').click();
    expect(await active(desktop())).toBe('console-timeout');
    expect(await c.getByTestId('console-timeout').getAttribute('aria-invalid')).toBe('true');
    await c.getByTestId('console-timeout').fill('30000');
    await c.getByTestId('timeout-error').waitFor({ state: 'detached' });
  });

  it('errors read plainly, with copyable details (code, request id, trace id) and a Retry', async () => {
    const page = desktop();
    await openPage(page, stack.url, 'errors');
    const card = scoped(page, 'errors').getByTestId('scenario-WORKER_ERROR');
    await card.getByRole('button', { name: 'Trigger WORKER_ERROR' }).click();
    await card.getByTestId('error-code').waitFor({ timeout: 10_000 });
    const firstId = await card.getByTestId('error-request-id').textContent();
    expect(firstId).toMatch(/^[0-9a-f-]{32,36}$/);
    await card
      .getByTestId('error-trace-id')
      .filter({ hasText: /^[0-9a-f]{32}$/ })
      .waitFor({ state: 'attached', timeout: 5000 });
    // Developer words (the worker's message) are inside the folded details, not in the visible text.
    expect(await card.getByTestId('error-message').isVisible()).toBe(false);
    await card.getByText('Details for a bug report').click();
    // The worker's own text stays in its log: the caller sees a generic message with the log reference.
    const shown = await card.getByTestId('error-message').textContent();
    expect(shown).toMatch(/reference [0-9a-f]{12}/);
    expect(shown).not.toContain('The demo worker gave up on purpose');
    await screenshot(page, 'ux-desktop-error-details');
    // Copy details: one block with the code, both ids and the message.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await card.getByRole('button', { name: 'Copy details' }).click();
    await card.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(
      new RegExp(
        `^code: WORKER_ERROR\nrequest id: ${firstId}\ntrace id: [0-9a-f]{32}\nmessage: The worker failed to handle this request \\(reference [0-9a-f]{12}\\)\\.$`,
      ),
    );
    await card.getByRole('button', { name: 'Retry' }).click();
    await card.getByTestId('error-request-id').filter({ hasNotText: firstId! }).waitFor({ state: 'attached', timeout: 10_000 });
    // Bad input needs a change first: no Retry there.
    const bad = scoped(page, 'errors').getByTestId('scenario-INVALID_PAYLOAD');
    await bad.getByRole('button', { name: 'Trigger INVALID_PAYLOAD' }).click();
    await bad.getByTestId('error-code').waitFor({ timeout: 10_000 });
    expect(await bad.getByRole('button', { name: 'Retry' }).count()).toBe(0);
  });

  it('chat: the bot uses the history; Regenerate rewrites the last reply in place; one announcement per message, no re-mount', async () => {
    const page = desktop();
    await openPage(page, stack.url, 'chat');
    const chat = scoped(page, 'chat');
    // Earlier turns of this page mentioned Ada; a fresh question shows it remembers.
    const reply = await chatTurn(page, 'What is my name, do you remember?');
    expect(reply).toMatch(/Ada/);
    expect(reply).toMatch(/I remember: you said/);
    expect(await chat.getByTestId('chat-thread').getAttribute('aria-live')).toBeNull();
    expect(await chat.getByTestId('chat-announcer').textContent()).toBe(`Assistant: ${reply}`);

    // The streaming bubble is the finished bubble: the same element, never re-mounted.
    await chat.getByTestId('chat-input').fill('And now a new one.');
    await chat.getByTestId('chat-input').press('Enter');
    await chat.getByTestId('chat-live').waitFor();
    await chat.getByTestId('chat-live').evaluate((el) => ((el as HTMLElement).dataset.marker = 'same'));
    const announcements: string[] = [];
    await page.exposeFunction('recordAnnouncement', (text: string) => announcements.push(text));
    await chat.getByTestId('chat-announcer').evaluate((el) =>
      new MutationObserver(() => (window as unknown as { recordAnnouncement(t: string): void }).recordAnnouncement(el.textContent ?? '')).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      }),
    );
    await chat.getByTestId('chat-live').waitFor({ state: 'detached', timeout: 20_000 });
    const last = chat.getByTestId('chat-assistant').last();
    expect(await last.getAttribute('data-marker')).toBe('same');
    expect(announcements).toEqual([`Assistant: ${await last.textContent()}`]);

    const count = await chat.getByTestId('chat-assistant').count();
    const before = await last.textContent();
    await chat.getByRole('button', { name: 'Regenerate' }).click();
    await chat.getByTestId('chat-live').waitFor();
    await chat.getByTestId('chat-live').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await chat.getByTestId('chat-assistant').count()).toBe(count);
    const after = await chat.getByTestId('chat-assistant').last().textContent();
    expect(after).not.toBe(before);
    expect(after).toContain('And now a new one.');
    await screenshot(page, 'ux-desktop-chat-regenerated');
  });

  it('reduced motion: no blinking caret, pulsing dots or sliding bubbles', async () => {
    const page = desktop();
    const motion = () =>
      page.evaluate(() =>
        ['.bubble-row:last-child .bubble', '.btn'].map((selector) => {
          const el = document.querySelector(selector)!;
          return parseFloat(getComputedStyle(el).animationDuration) + parseFloat(getComputedStyle(el).transitionDuration);
        }),
      );
    for (const d of await motion()) expect(d).toBeGreaterThan(0.1);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    try {
      for (const d of await motion()) expect(d).toBeLessThan(0.01);
    } finally {
      await page.emulateMedia({ reducedMotion: 'no-preference' });
    }
  });

  it('a chat reply shows its hops through the Python worker', async () => {
    const page = desktop();
    await openPage(page, stack.url, 'console');
    const c = scoped(page, 'console');
    await c.getByTestId('console-type').selectOption('chat');
    await c.getByTestId('console-payload').fill('{ "message": "hi" }');
    await c.getByTestId('console-send').click();
    await c.getByTestId('hop-timeline').locator('[data-hop="result"]').waitFor({ timeout: 20_000 });
    expect(await c.getByTestId('hop-timeline').locator('[data-hop="picked-up"]').textContent()).toMatch(/Picked up by Python worker demo-workers/);
    await screenshot(page, 'ux-desktop-console-hops-python');
  });

  it('the console follows the live registry without a reload', async () => {
    const page = desktop();
    await openPage(page, stack.url, 'console');
    const c = scoped(page, 'console');
    await c.getByTestId('console-type').selectOption('testRequest');
    await c.locator('.hint .tag').filter({ hasText: '1 live' }).waitFor({ timeout: 10_000 });
    const extra = await startNodeWorker('bun', stack.namespace);
    try {
      await c.locator('.hint .tag').filter({ hasText: '2 live' }).waitFor({ timeout: 10_000 });
    } finally {
      await extra.kill();
    }
    await c.locator('.hint .tag').filter({ hasText: '1 live' }).waitFor({ timeout: 10_000 });
  });

  it('long task: focus stays on the one Start/Cancel button', async () => {
    const page = desktop();
    await openPage(page, stack.url, 'long-task');
    const task = scoped(page, 'long-task');
    await task.getByRole('button', { name: /Start/ }).click();
    expect(await active(page)).toBe('task-action');
    await task
      .getByTestId('task-headline')
      .filter({ hasText: /step [1-9] of 20/ })
      .waitFor({ timeout: 10_000 });
    await task.getByRole('button', { name: 'Cancel' }).click();
    await task.getByTestId('status').filter({ hasText: 'Cancelled' }).waitFor();
    expect(await active(page)).toBe('task-action');
  });
});
