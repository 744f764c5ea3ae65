import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchBrowser, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * The start of seed 004 §2's MVP flow in a real Chromium, in the English UI: a new user captures a lead
 * (the phone previewed as E.164 while typed), qualifies it from its panel, converts it into an account,
 * a contact and a deal in one dialog, and lands on the new deal's page. The leads page and panel pass
 * the axe scan.
 */

const PASSWORD = 'a-long-enough-password-1';
const COMPANY = 'Công ty TNHH Thương mại Hoàng Gia';
const PERSON = 'Võ Thanh Tâm';
const DEAL = 'Hoàng Gia – CRM rollout';

describe.skipIf(!BROWSER_AVAILABLE)('leads in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
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

  const go = (path: string) => page.goto(`${server.url}${path}`);

  it('signs up a new workspace', async () => {
    await go('/signup');
    await page.getByLabel('Company or team name').fill('Công ty Phần mềm Ánh Dương');
    await page.getByLabel('Your name').fill('Đặng Thu Trang');
    await page.getByLabel('Email').fill('trang.dang@anhduong.example');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(/\/dashboard$/);
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await nav.getByRole('link', { name: 'Leads' }).click();
    await page.waitForURL(/\/leads$/);
    await page.getByRole('heading', { name: 'Leads' }).waitFor();
  });

  it('creates a lead, with the phone shown as E.164 while typed', async () => {
    await page.getByRole('button', { name: 'New lead' }).click();
    const form = page.getByTestId('lead-form');
    await form.getByLabel('Last name (family)').fill('Võ');
    await form.getByLabel('First name').fill('Thanh Tâm');
    await form.getByLabel('Company').fill(COMPANY);
    await form.getByLabel('Email').fill('tam.vo@hoanggia.example');
    await form.getByLabel('Phone').fill('0903 123 456');
    await expect.poll(() => form.getByTestId('phone-preview').textContent()).toContain('+84903123456');
    await form.getByLabel('Source', { exact: true }).selectOption('event');
    await form.getByLabel('Estimated value').fill('120.000.000');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const drawer = page.getByTestId('lead-drawer');
    await drawer.getByRole('heading', { name: PERSON }).waitFor();
    await expect.poll(() => drawer.getByTestId('lead-status').textContent()).toBe('New');
    await expect.poll(() => drawer.textContent()).toContain('+84903123456');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('qualifies the lead from its panel', async () => {
    const drawer = page.getByTestId('lead-drawer');
    await drawer.getByRole('button', { name: 'Qualify', exact: true }).click();
    await expect.poll(() => drawer.getByTestId('lead-status').textContent()).toBe('Qualified');
  });

  it('converts it into an account, a contact and a deal, and lands on the deal page', async () => {
    const drawer = page.getByTestId('lead-drawer');
    await drawer.getByRole('button', { name: 'Convert', exact: true }).click();
    const form = page.getByTestId('convert-form');
    expect(await form.getByLabel('Account name').inputValue()).toBe(COMPANY);
    expect(await form.getByLabel('Also create a deal').isChecked()).toBe(true);
    await form.getByLabel('Deal name').fill(DEAL);
    expect(await form.getByLabel('Amount (VND)').inputValue()).toBe('120000000');
    expect(await axeViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Convert' }).click();
    await page.waitForURL(/\/deals\/[0-9a-f-]{36}$/);
    await page.getByTestId('deal-page').getByRole('heading', { name: DEAL }).waitFor();
    await expect.poll(() => page.getByTestId('deal-page').textContent()).toContain(COMPANY);
  });

  it('lists the lead as converted, with links to what it became', async () => {
    await go('/leads?status=converted');
    const row = page.getByTestId('lead-row').filter({ hasText: PERSON });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('Converted');
    await row.getByRole('link', { name: PERSON }).click();
    const drawer = page.getByTestId('lead-drawer');
    await drawer.getByRole('link', { name: 'Deal' }).waitFor();
    expect(await drawer.getByRole('button', { name: 'Convert' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('raised no uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });

  it('finds a lead from the command palette by its name typed without diacritics, and opens it', async () => {
    // A second lead, so the query matches no contact or deal converted from the first one.
    await go('/leads');
    await page.getByRole('button', { name: 'New lead' }).click();
    const form = page.getByTestId('lead-form');
    await form.getByLabel('Last name (family)').fill('Lương');
    await form.getByLabel('First name').fill('Ngọc Ánh');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await go('/dashboard');
    // The shortcut is listened for once the app has rendered: wait for the page, not just the load event.
    await page.getByTestId('kpi-open-pipeline').waitFor();
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.waitFor();
    await palette.getByRole('combobox').fill('ngoc anh');
    const option = palette.getByRole('option', { name: /Lương Ngọc Ánh/ });
    await option.waitFor();
    await expect.poll(() => palette.textContent()).toContain('Leads');
    await expect.poll(() => option.textContent()).toContain('New');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/leads\/[0-9a-f-]{36}$/);
    await page.getByTestId('lead-drawer').getByRole('heading', { name: 'Lương Ngọc Ánh' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
