import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers.js';
import { launchBrowser, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * Order within a board column in Chromium: a card dragged onto the lower half of another card lands
 * below it, by mouse and by keyboard (Space, ArrowDown, Space); the order is the server's (it survives
 * a reload) and reaches a second browser live.
 */

const PASSWORD = 'a-long-enough-password-1';

describe.skipIf(!BROWSER_AVAILABLE)('board order within a column in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let page: Page;
  let page2: Page;
  const email = `order-${Date.now()}@e2e.example`;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
    const anon = api(server.t.app);
    const signup = await anon.post<{ tokens: { access_token: string } }>('/crm/v1/auth/signup', {
      workspace_name: 'Thứ tự thẻ',
      display_name: 'Trần Minh Anh',
      locale: 'en',
      email,
      password: PASSWORD,
    });
    expect(signup.status, signup.raw).toBe(201);
    const c = api(server.t.app, signup.body.tokens.access_token);
    // Created A, B, C: the board shows the newest on top — C, B, A.
    for (const name of ['Deal A', 'Deal B', 'Deal C']) {
      const r = await c.post('/crm/v1/deals', { name }, { 'idempotency-key': randomUUID() });
      expect(r.status, r.raw).toBe(201);
    }
    page = await signIn();
    page2 = await signIn();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signIn(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-US' });
    const p = await ctx.newPage();
    p.on('pageerror', (err) => pageErrors.push(err.message));
    await p.goto(`${server.url}/login`);
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/dashboard$/);
    await p.goto(`${server.url}/pipeline`);
    await p.getByTestId('column-qualifying').locator('[data-testid="deal-card"]').first().waitFor();
    return p;
  }

  const names = (p: Page) =>
    p
      .getByTestId('column-qualifying')
      .locator('[data-testid="deal-card"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-deal-name')));
  const cardOf = (p: Page, name: string) =>
    p.getByTestId('column-qualifying').locator(`[data-testid="deal-card"][data-deal-name="${name}"]`);

  it('drags a card below another in the same column; the order is kept and seen live', async () => {
    await expect.poll(() => names(page)).toEqual(['Deal C', 'Deal B', 'Deal A']);
    const from = await cardOf(page, 'Deal C').boundingBox();
    const to = await cardOf(page, 'Deal B').boundingBox();
    if (!from || !to) throw new Error('cards not laid out');
    const x = from.x + from.width / 2;
    const y = from.y + from.height - 12; // on the account line, not the name link
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 4, y + 8, { steps: 3 });
    // Onto the lower part of Deal B: the dragged card's middle passes B's middle.
    await page.mouse.move(x, to.y + to.height - 4 + (y - from.y - from.height / 2), { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => names(page)).toEqual(['Deal B', 'Deal C', 'Deal A']);
    await expect.poll(() => names(page2), { timeout: 10_000 }).toEqual(['Deal B', 'Deal C', 'Deal A']);
    await page.reload();
    await cardOf(page, 'Deal A').waitFor();
    await expect.poll(() => names(page)).toEqual(['Deal B', 'Deal C', 'Deal A']);
  });

  it('moves a card down one place by keyboard (Space, ArrowDown, Space)', async () => {
    const handle = page.getByRole('button', { name: 'Move Deal B' });
    await handle.focus();
    await page.keyboard.press('Space');
    await page.waitForTimeout(150);
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(300);
    await page.keyboard.press('Space');
    await expect.poll(() => names(page)).toEqual(['Deal C', 'Deal B', 'Deal A']);
    await expect.poll(() => names(page2), { timeout: 10_000 }).toEqual(['Deal C', 'Deal B', 'Deal A']);
  });

  it('raised no uncaught error in either browser', () => {
    expect(pageErrors).toEqual([]);
  });
});
