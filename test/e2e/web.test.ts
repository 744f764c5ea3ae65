import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchBrowser, screenshot, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * The web app in a real Chromium against the real server: the MVP flow of seed 004 §2 as a new user
 * does it, the live board across two browser contexts, languages and the right-to-left shell, and an
 * accessibility scan of the main pages.
 */

const PASSWORD = 'a-long-enough-password-1';

describe.skipIf(!BROWSER_AVAILABLE)('web app in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const email = `owner-${Date.now()}@e2e.example`;

  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'vi-VN' });
    page = await ctx.newPage();
    page.on('pageerror', (err) => console.error('[page error]', err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const go = (p: Page, path: string) => p.goto(`${server.url}${path}`);

  it('signs up a new workspace and lands on the dashboard, in Vietnamese by default', async () => {
    await go(page, '/login');
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'login');
    await page.getByRole('link', { name: 'Tạo không gian làm việc' }).click();
    await page.getByLabel('Tên công ty hoặc nhóm').fill('Công ty TNHH Thử Nghiệm');
    await page.getByLabel('Tên của bạn').fill('Nguyễn Thị Lan');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    await page.getByRole('button', { name: 'Tạo không gian làm việc' }).click();
    await page.waitForURL(/\/dashboard$/);
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Điều hướng chính' }).isVisible())
      .toBe(true);
  });

  it('shows the API message of a failed sign-in and keeps the user on the page', async () => {
    const other = await browser.newContext({ locale: 'en-US' });
    const p = await other.newPage();
    await go(p, '/login');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill('wrong-password-123');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => p.getByRole('alert').first().textContent()).toMatch(/\S/);
    expect(p.url()).toMatch(/\/login$/);
    await other.close();
  });

  it('switches language, mirrors the shell right-to-left for Arabic, and back', async () => {
    await page.getByLabel('Ngôn ngữ').selectOption('en');
    await page.getByRole('link', { name: 'Pipeline' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.getByLabel('Language').selectOption('ar');
    await page.getByRole('link', { name: 'مسار المبيعات' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    const nav = await page.getByRole('navigation').boundingBox();
    expect(nav?.x).toBeGreaterThan(1366 / 2);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'rtl-shell');
    await page.getByLabel('اللغة').selectOption('vi');
    await page.getByRole('link', { name: 'Quy trình bán hàng' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('ltr');
  });

  it('opens the command palette with Ctrl+K and navigates from it by keyboard', async () => {
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Bảng lệnh' });
    await palette.waitFor();
    await page.keyboard.type('quy trình');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/pipeline$/);
    await expect.poll(() => palette.isVisible()).toBe(false);
  });

  it('fits a phone: the sidebar becomes a menu', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: 'vi-VN' });
    const p = await phone.newPage();
    await go(p, '/login');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Mật khẩu').fill(PASSWORD);
    await p.getByRole('button', { name: 'Đăng nhập' }).click();
    await p.waitForURL(/\/dashboard$/);
    // Rendered (the menu button is there) and the sidebar hidden behind it.
    await p.getByRole('button', { name: 'Menu' }).waitFor();
    await expect.poll(() => p.getByRole('navigation').isVisible()).toBe(false);
    await p.getByRole('button', { name: 'Menu' }).click();
    await expect.poll(() => p.getByRole('navigation').isVisible()).toBe(true);
    await screenshot(p, 'phone-menu');
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await p.getByRole('button', { name: 'Đóng' }).click();
    await expect.poll(() => p.getByRole('navigation').isVisible()).toBe(false);
    await phone.close();
  });
});
