// `npm start` as a user runs it (scripts/start.mjs and its supervisor, on a
// free port and its own namespace), in Debian's Chromium: the gateway is
// killed with SIGKILL while a chat reply streams; the supervisor starts a new
// one with the same session secret (.warren/session-secret, here in a
// temporary WARREN_STATE_DIR), the page resumes its session and the reply
// finishes, whole and without a reload.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { DESKTOP, launchBrowser, openPage, screenshot, recordLiveTexts } from './browser.ts';
import { freePort, isReadyLine, runNpmStart } from './run-start.ts';

let app: ReturnType<typeof runNpmStart> | undefined;
let browser: Browser | undefined;
let page: Page;
let url: string;
const namespace = uniqueNamespace('e2estart');
const stateDir = mkdtempSync(join(tmpdir(), 'warren-state-'));

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  app = runNpmStart({ PORT: String(port), HOST: '127.0.0.1', WARREN_NAMESPACE: namespace, WARREN_STATE_DIR: stateDir });
  browser = await launchBrowser();
  // start.mjs builds the web app when stale, then starts everything.
  await app.waitFor((l) => l.includes('Warren is running at'), 80_000);
  await app.waitFor(isReadyLine('worker-node'), 20_000);
  await app.waitFor(isReadyLine('worker-python', 'chat'), 20_000);
  page = await browser.newPage({ viewport: DESKTOP });
  page.on('pageerror', (error) => console.error('page error:', error.message));
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await deleteNamespace(namespace);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('npm start in Chromium', () => {
  it('keeps its session secret in the state directory, owner-only', () => {
    const file = join(stateDir, 'session-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(app!.output()).toContain('created a session secret');
  });

  it('gateway killed (SIGKILL) mid-reply: the supervisor restarts it and the reply finishes without a reload', async () => {
    await openPage(page, url, 'chat');
    const chat = page.locator('[data-page="chat"]');
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    // Every text the live bubble shows, recorded inside the page.
    await recordLiveTexts(page);
    // The reply quotes the message word by word: 40 one-letter words make it
    // about 65 tokens, some 4 s of streaming, so the kill lands mid-reply.
    const message = Array.from({ length: 40 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(' ');
    await chat.getByTestId('chat-input').fill(message);
    await chat.getByTestId('chat-input').press('Enter');
    const live = chat.getByTestId('chat-live');
    await live.filter({ hasText: /\S+\s+\S+\s+\S+/ }).waitFor({ timeout: 10_000 });

    const [gatewayPid] = app!.pids.get('gateway') ?? [];
    expect(gatewayPid).toBeGreaterThan(0);
    const killedAt = Date.now();
    const linesBefore = app!.lines.length;
    process.kill(gatewayPid!, 'SIGKILL');
    const shownAtKill = ((await live.textContent()) ?? '').length;
    expect(await chat.getByTestId('chat-assistant').count(), 'the reply finished before the kill').toBe(0);

    await page.getByTestId('connection-banner').waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'npm-start-gateway-killed');
    // The supervisor brings a new gateway up and the page resumes its session there.
    await app!.waitFor((l) => l.startsWith('gateway') && l.includes('restarting in'), 10_000, linesBefore);
    await app!.waitFor((l) => l.startsWith('gateway') && l.includes('socket connected') && l.includes('resumed=true'), 30_000, linesBefore);
    const reply = chat.getByTestId('chat-assistant').last();
    await reply.waitFor({ timeout: 30_000 });
    const finishedMs = Date.now() - killedAt;

    const pids = app!.pids.get('gateway')!;
    expect(pids.length).toBe(2);
    expect(pids[1]).not.toBe(gatewayPid);
    const finalText = (await reply.textContent()) ?? '';
    const liveTexts = await page.evaluate(() => (window as unknown as { liveTexts: string[] }).liveTexts);
    // Whole (it quotes the message), grew after the kill, and each live update
    // extended the previous one: no token lost, shown twice or redrawn.
    expect(finalText).toContain(`You said "${message}"`);
    expect(finalText.length).toBeGreaterThan(shownAtKill);
    for (let i = 1; i < liveTexts.length; i++) expect(liveTexts[i]!.startsWith(liveTexts[i - 1]!), JSON.stringify(liveTexts)).toBe(true);
    expect(finalText.startsWith(liveTexts.at(-1)!)).toBe(true);
    expect(await chat.getByTestId('error-notice').count()).toBe(0);
    // Same document: no reload.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    console.log(
      `[e2e] npm start: gateway ${gatewayPid} killed with ${shownAtKill} characters shown; reply finished ${finishedMs} ms later through gateway ${pids[1]}`,
    );
    await screenshot(page, 'npm-start-reply-finished');
  });
});
