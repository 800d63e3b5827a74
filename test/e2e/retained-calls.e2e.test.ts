import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNodeWorker, type Proc } from '../support/processes.ts';
import { DESKTOP, desktopPage, openPage, screenshot } from './browser.ts';
import { startDemo, type Stack } from './stack.ts';

let stack: Stack;
let browser: Browser;
let page: Page;
const extraWorkers: Proc[] = [];

/** Every text the chat's live bubble showed, tagged with the page load it showed in (reported from inside the page). */
const liveTexts: Array<{ load: string; text: string }> = [];

beforeAll(async () => {
  ({ stack, browser } = await startDemo());
  page = await desktopPage(browser);
  // Survives reloads: the binding and the observer are installed in every document of the page.
  await page.exposeBinding('reportLiveText', (_source, load: string, text: string) => {
    liveTexts.push({ load, text });
  });
  await page.addInitScript(() => {
    const load = Math.random().toString(36).slice(2);
    let last = '';
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="chat-live"]')?.textContent ?? '';
      if (text === '' || text === last) return;
      last = text;
      void (window as unknown as { reportLiveText(load: string, text: string): Promise<void> }).reportLiveText(load, text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || !page) return;
  const name = `failed-retained-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`;
  await screenshot(page, name).catch(() => undefined);
  console.error(
    `${name}\n--- gateway ---\n${stack.gateway().output().slice(-4000)}\n--- node worker ---\n${stack.nodeWorker.output().slice(-2000)}\n--- python ---\n${stack.python.output().slice(-2000)}`,
  );
});

afterAll(async () => {
  await Promise.all(extraWorkers.map((w) => w.kill()));
  await browser?.close();
  await stack?.close();
});

const scoped = (route: string, on: Page = page) => on.locator(`[data-page="${route}"]`);
const count = (output: string, pattern: RegExp): number => output.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
/** How many times each worker started a run, from its own log. */
const chatRuns = () => count(stack.python.output(), /replying with \d+ tokens/);
const taskRuns = () => count(stack.nodeWorker.output(), /"msg":"longTask started"/);
const taskStops = (output = stack.nodeWorker.output()) => count(output, /longTask stopped at step \d+ of 20/);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `ok` holds. */
const until = async <T>(read: () => Promise<T> | T, ok: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(50);
  }
};

/** Reloads the tab and waits for the page to be connected again. */
const reload = async (route: string) => {
  await page.reload();
  await scoped(route).waitFor({ state: 'visible' });
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
};

/** The words of a reply as the worker streams them: each with its leading space. */
const tokens = (text: string) => text.match(/\s*\S+/g) ?? [];

/** The steps the long task page was shown, in order (its data-steps). */
const shownSteps = async () => ((await scoped('long-task').getByTestId('long-task').getAttribute('data-steps')) ?? '').split(',').filter(Boolean).map(Number);
const ALL_STEPS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('reload-proof calls in Chromium', () => {
  it('chat: a reload mid-reply keeps the conversation and the reply carries on, every word exactly once', async () => {
    await openPage(page, stack.url, 'chat');
    const chat = scoped('chat');
    const runsBefore = chatRuns();
    const message = 'Please tell me, at some length, what happens to a streaming reply when I reload this page?';
    await chat.getByTestId('chat-input').fill(message);
    await chat.getByTestId('chat-input').press('Enter');
    // A few words in, then reload.
    await until(
      async () => tokens((await chat.getByTestId('chat-live').textContent()) ?? '').length,
      (n) => n >= 3,
      15_000,
      'words before the reload',
    );
    const loadsBefore = new Set(liveTexts.map((r) => r.load));
    await reload('chat');
    // The history is back at once, and the reply is still in progress or done.
    await chat.getByTestId('chat-user').filter({ hasText: message }).waitFor({ timeout: 2000 });
    const reply = chat.getByTestId('chat-assistant').last();
    await reply.waitFor({ timeout: 20_000 });
    const finalText = (await reply.textContent()) ?? '';
    expect(finalText).toContain('You said');
    // Every chunk of the call exactly once: as many as the words of the result.
    expect(Number(await reply.getAttribute('data-chunks'))).toBe(tokens(finalText).length);

    const before = liveTexts.filter((r) => loadsBefore.has(r.load)).map((r) => r.text);
    const after = liveTexts.filter((r) => !loadsBefore.has(r.load)).map((r) => r.text);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length, 'the reply was still streaming after the reload').toBeGreaterThan(0);
    // Whatever the page showed, before or after the reload, was the reply from its first word, whole words, nothing doubled or missing.
    for (const text of [...before, ...after]) {
      expect(finalText.startsWith(text), `${JSON.stringify(text)} is not the start of ${JSON.stringify(finalText)}`).toBe(true);
      expect(tokens(text).join('')).toBe(text);
    }
    // After the reload it only grew, word by word; it did not start over.
    for (let i = 1; i < after.length; i++) expect(after[i]!.length).toBeGreaterThan(after[i - 1]!.length);
    // The worker ran the reply once: attaching ran nothing again.
    await sleep(500);
    expect(chatRuns()).toBe(runsBefore + 1);
    await screenshot(page, 'retained-chat-after-reload');
  });

  it('chat: a gateway restart mid-reply: the page attaches again on reconnect and the reply ends with every word once', async () => {
    await openPage(page, stack.url, 'chat');
    const chat = scoped('chat');
    const replies = chat.getByTestId('chat-assistant');
    const before = await replies.count();
    const runsBefore = chatRuns();
    await chat.getByTestId('chat-input').fill('What happens to this reply if the gateway restarts while it is being written out?');
    await chat.getByTestId('chat-input').press('Enter');
    await until(
      async () => tokens((await chat.getByTestId('chat-live').textContent()) ?? '').length,
      (n) => n >= 3,
      15_000,
      'words before the restart',
    );
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    await stack.stopGateway();
    await stack.startGateway();
    await replies.nth(before).waitFor({ timeout: 30_000 });
    const finalText = (await replies.nth(before).textContent()) ?? '';
    expect(finalText).toContain('You said');
    expect(Number(await replies.nth(before).getAttribute('data-chunks'))).toBe(tokens(finalText).length);
    // Same document: the socket reconnected by itself, no reload.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);
    await sleep(500);
    expect(chatRuns()).toBe(runsBefore + 1);
  });

  it('long task: a reload mid-run shows where the worker is; the run finishes with every step once; a reload after the end shows the result without running it again', async () => {
    await openPage(page, stack.url, 'long-task');
    const task = scoped('long-task');
    const runsBefore = taskRuns();
    await task.getByRole('button', { name: /Start task|Start again/ }).click();
    const stepsBefore = await until(shownSteps, (steps) => steps.length >= 3, 15_000, 'steps before the reload');
    expect(stepsBefore).toEqual(ALL_STEPS.slice(0, stepsBefore.length));
    await reload('long-task');
    // The bar is where the worker is (at least where it was before the reload), not back at 0.
    await until(shownSteps, (steps) => steps.length >= stepsBefore.length, 3000, 'steps after the reload');
    expect(Number(await task.getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(stepsBefore.length * 5);
    expect(await task.getByTestId('task-action').textContent()).toBe('Cancel');
    await task.getByTestId('status').filter({ hasText: 'Done' }).waitFor({ timeout: 20_000 });
    expect(await shownSteps()).toEqual(ALL_STEPS);
    expect(await task.getByTestId('task-headline').textContent()).toBe('Finished');
    expect(taskRuns()).toBe(runsBefore + 1);

    await reload('long-task');
    await task.getByTestId('status').filter({ hasText: 'Done' }).waitFor({ timeout: 5000 });
    expect(await shownSteps()).toEqual(ALL_STEPS);
    expect(await task.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await sleep(1000);
    expect(taskRuns(), 'the finished task ran again').toBe(runsBefore + 1);
    await screenshot(page, 'retained-long-task-finished-after-reload');
  });

  it('long task: Cancel after a reload stops the worker', async () => {
    const task = scoped('long-task');
    const runsBefore = taskRuns();
    const stopsBefore = taskStops();
    await task.getByRole('button', { name: 'Start again' }).click();
    await until(shownSteps, (steps) => steps.length >= 2, 15_000, 'steps before the reload');
    await reload('long-task');
    await until(shownSteps, (steps) => steps.length >= 2, 3000, 'steps after the reload');
    await task.getByRole('button', { name: 'Cancel' }).click();
    await task.getByTestId('status').filter({ hasText: 'Cancelled' }).waitFor({ timeout: 2000 });
    // The worker says it stopped, well before the 20 steps' end.
    await until(taskStops, (n) => n === stopsBefore + 1, 5000, 'worker stops');
    const steps = await shownSteps();
    expect(steps).toEqual(ALL_STEPS.slice(0, steps.length));
    expect(steps.length).toBeLessThan(20);
    expect(taskRuns()).toBe(runsBefore + 1);
    await screenshot(page, 'retained-long-task-cancelled-after-reload');
  });

  it('long task: a job waiting for a worker shows how many are ahead of it, then runs', async () => {
    // No worker for longTask: jobs wait in its queue. A second tab (its own session) queues first.
    await stack.nodeWorker.kill();
    const other = await browser.newPage({ viewport: DESKTOP });
    try {
      await openPage(other, stack.url, 'long-task');
      await scoped('long-task', other).getByRole('button', { name: 'Start task' }).click();
      // Alone in the queue it is 0 ahead, which the gateway cannot tell from "started": shown as waiting, not queued.
      await scoped('long-task', other).getByTestId('status').filter({ hasText: 'Waiting…' }).waitFor({ timeout: 10_000 });
      await sleep(1000); // published before the next one
      await openPage(page, stack.url, 'long-task');
      const task = scoped('long-task');
      await task.getByRole('button', { name: 'Start again' }).click();
      await task.getByTestId('status').filter({ hasText: 'In the queue' }).waitFor({ timeout: 10_000 });
      await task.getByTestId('task-headline').filter({ hasText: '1 ahead of you' }).waitFor({ timeout: 10_000 });
      expect(await scoped('long-task', other).getByTestId('status').textContent()).toBe('Waiting…');
      await screenshot(page, 'retained-long-task-queued');
      // A worker starts: the first job runs, and this one moves up.
      const worker = await startNodeWorker('bun', stack.namespace, { WORKER_CONCURRENCY: '1' });
      extraWorkers.push(worker);
      await scoped('long-task', other).getByTestId('status').filter({ hasText: 'Streaming' }).waitFor({ timeout: 15_000 });
      await task.getByTestId('task-headline').filter({ hasText: 'Next in the queue' }).waitFor({ timeout: 10_000 });
      await scoped('long-task', other).getByRole('button', { name: 'Cancel' }).click();
      await task.getByTestId('status').filter({ hasText: 'Streaming' }).waitFor({ timeout: 15_000 });
      await task.getByRole('button', { name: 'Cancel' }).click();
      await until(
        () => taskStops(worker.output()),
        (n) => n === 2,
        5000,
        'worker stops',
      );
    } finally {
      await other.close();
    }
  });
});
