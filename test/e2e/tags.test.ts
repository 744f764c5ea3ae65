import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers.js';
import { axeViolations, launchBrowser, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * Tags in a real Chromium, in the English UI: a new workspace with three accounts; two of them are
 * selected in the accounts list and tagged in bulk ("Tag…", one request), the bar reports "2 done,
 * 0 failed", the chips show in the rows; then the tag filter (with its suggestion from GET /tags)
 * narrows the list to those two and lands in the URL.
 */

const PASSWORD = 'a-long-enough-password-1';
const TAG = 'hội chợ 2026';
const TAGGED = ['Công ty TNHH Thép Phương Nam', 'Công ty Cổ phần Dệt may Hòa Bình'];
const OTHER = 'Công ty TNHH Gốm sứ Minh Long';

describe.skipIf(!BROWSER_AVAILABLE)('tags in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const email = `tags-${randomUUID().slice(0, 8)}@example.com`;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-US' });
    page = await ctx.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);
  const rowOf = (name: string) => page.getByTestId('account-row').filter({ hasText: name });

  it('signs up and gets three accounts', async () => {
    await go(page, '/signup');
    await page.getByLabel('Company or team name').fill('Công ty TNHH Thẻ Xanh');
    await page.getByLabel('Your name').fill('Võ Thanh Tâm');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(/\/dashboard$/);

    const login = await api(server.t.app).post<{ tokens: { access_token: string } }>('/crm/v1/auth/login', {
      email,
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const c = api(server.t.app, login.body.tokens.access_token);
    for (const name of [...TAGGED, OTHER]) {
      const r = await c.post('/crm/v1/accounts', { name }, { 'idempotency-key': randomUUID() });
      expect(r.status).toBe(201);
    }
  });

  it('tags two selected accounts in bulk and reports 2 done, 0 failed', async () => {
    await go(page, '/accounts');
    for (const name of [...TAGGED, OTHER]) await rowOf(name).waitFor();
    for (const name of TAGGED) await page.getByLabel(`Select ${name}`).check();
    await page.getByRole('button', { name: 'Tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag 2 records' });
    await dialog.waitFor();
    await dialog.getByLabel('Tags to add').fill(TAG);
    await dialog.getByLabel('Tags to add').press('Enter');
    await dialog.getByRole('listitem').filter({ hasText: TAG }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('bulk-status').textContent()).toBe('2 done, 0 failed');
    for (const name of TAGGED) {
      await expect.poll(() => rowOf(name).getByTestId('tag-chips').textContent()).toBe(TAG);
    }
    expect(await rowOf(OTHER).getByTestId('tag-chips').count()).toBe(0);
  });

  it('filters the list by the tag, offered as a suggestion, and keeps it in the URL', async () => {
    const filter = page.getByTestId('accounts-tag-filter').getByLabel('Tags');
    await filter.fill('hoi');
    // The suggestion (folded prefix match on the server) fills the datalist.
    await expect
      .poll(() =>
        page
          .getByTestId('accounts-tag-filter')
          .locator('datalist option')
          .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      )
      .toEqual([TAG]);
    await filter.fill(TAG);
    await filter.press('Enter');
    await page.waitForURL((u) => u.searchParams.getAll('tag').join() === TAG);
    await expect.poll(() => page.getByTestId('account-row').count()).toBe(2);
    for (const name of TAGGED) await rowOf(name).waitFor();
    expect(await rowOf(OTHER).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // The filter survives a reload (it is in the URL).
    await page.reload();
    await expect.poll(() => page.getByTestId('account-row').count()).toBe(2);
  });

  it('raised no uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});
