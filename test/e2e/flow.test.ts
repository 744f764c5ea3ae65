import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers.js';
import { axeViolations, launchBrowser, screenshot, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * The MVP flow of seed 004 §2 in a real Chromium, as a new user does it in the English UI: sign up,
 * create an account, a contact (the phone shown as E.164 while typed) and a deal without an amount;
 * drag the deal on the board with the mouse, hit the default pipeline's rule at `proposal` (amount and
 * primary contact, migration 0006 / ADR 0012), fill what the blocked-move dialog offers, move once more
 * by keyboard; a second member, invited from Settings, watches the same board live in another browser
 * context; close the deal as won and see it on the dashboard. Every main page is scanned with axe and
 * photographed (docs/screenshots with SCREENSHOTS=1).
 *
 * A few other records are written through the API right after sign-up so the pages (and screenshots)
 * look like a team's workspace; all of them stay open, so the dashboard's "won this month" is this
 * deal alone.
 */

const PASSWORD = 'a-long-enough-password-1';
const ACCOUNT = 'Công ty TNHH Logistics Sao Mai';
// Vietnamese name order: family name Nguyễn, given names Thị Lan → "Nguyễn Thị Lan".
const CONTACT_LAST = 'Nguyễn';
const CONTACT_FIRST = 'Thị Lan';
const CONTACT = 'Nguyễn Thị Lan';
const CONTACT_EMAIL = 'lan.nguyen@saomai-logistics.example';
const DEAL = 'Phần mềm quản lý kho Sao Mai';
const AMOUNT = '250.000.000';
const AMOUNT_TEXT = '₫250,000,000';

/** A date `days` from now as YYYY-MM-DD (a date input's value). */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe.skipIf(!BROWSER_AVAILABLE)('MVP flow in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let ctx2: BrowserContext;
  let page2: Page;
  let dealId = '';
  // Fixed addresses (each run starts from an empty database): they show in the screenshots.
  const email = 'minhanh.tran@binhminh.example';
  const memberEmail = 'quocbao.pham@binhminh.example';
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
  const card = (p: Page, column: string) =>
    p.getByTestId(`column-${column}`).locator(`[data-testid="deal-card"][data-deal-name="${DEAL}"]`);

  /** Every serious/critical axe violation of the page as it is, and a screenshot of it. */
  async function scan(p: Page, name: string): Promise<void> {
    expect(await axeViolations(p), name).toEqual([]);
    await screenshot(p, name);
  }

  /** Presses on the card's body and moves the mouse in steps onto the target column (dnd-kit MouseSensor). */
  async function drag(p: Page, from: Locator, to: Locator): Promise<void> {
    await from.scrollIntoViewIfNeeded();
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    if (!a || !b) throw new Error('card or column not laid out');
    // Below the deal-name link, on the account line: a press there is the card's, not the link's.
    const x = a.x + a.width / 2;
    const y = a.y + a.height - 12;
    await p.mouse.move(x, y);
    await p.mouse.down();
    await p.mouse.move(x + 10, y + 4, { steps: 3 }); // past the 6 px activation distance
    await p.mouse.move(b.x + b.width / 2, b.y + 160, { steps: 12 });
    await p.mouse.move(b.x + b.width / 2 + 2, b.y + 162, { steps: 2 });
    await p.mouse.up();
  }

  it('signs up a new workspace and lands on the dashboard in English', async () => {
    await go(page, '/signup');
    await page.getByLabel('Company or team name').fill('Công ty TNHH Phần mềm Bình Minh');
    await page.getByLabel('Your name').fill('Trần Minh Anh');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await seedBackground(server, email);
  });

  it('creates an account through the UI', async () => {
    await go(page, '/accounts?new=1');
    const form = page.getByTestId('account-form');
    await form.getByLabel('Name', { exact: true }).fill(ACCOUNT);
    await form.getByLabel('Industry').fill('Logistics');
    await form.getByLabel('Phone').fill('028 3822 1234');
    await page.getByTestId('account-form-submit').click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: ACCOUNT }).waitFor();
  });

  it('creates a contact at that account and shows the phone as E.164 while it is typed', async () => {
    await go(page, '/contacts?new=1');
    const form = page.getByTestId('contact-form');
    await form.getByLabel('Family name').fill(CONTACT_LAST);
    await form.getByLabel('First name').fill(CONTACT_FIRST);
    await form.getByLabel('Job title').fill('Purchasing manager');
    await form.getByRole('combobox', { name: 'Account' }).fill('Sao Mai');
    await form.getByRole('option', { name: ACCOUNT }).click();
    // The form starts with an email and a phone channel.
    expect(await form.getByLabel('Channel 1 type').inputValue()).toBe('email');
    await form.getByLabel('Channel 1 value').fill(CONTACT_EMAIL);
    expect(await form.getByLabel('Channel 2 type').inputValue()).toBe('phone');
    await form.getByLabel('Channel 2 value').fill('0912 345 678');
    await expect.poll(() => form.getByTestId('e164-preview').textContent()).toContain('+84912345678');
    await page.getByTestId('contact-form-submit').click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByTestId('contact-row').filter({ hasText: CONTACT });
    await row.waitFor();
    // Stored as the preview said.
    await expect.poll(() => row.textContent()).toContain('+84912345678');
  });

  it('creates a deal for the account without an amount, from the board', async () => {
    await go(page, '/pipeline');
    await page.getByTestId('board').waitFor();
    await page.getByTestId('board-new-deal').click();
    const form = page.getByTestId('deal-form');
    await form.getByLabel('Deal name').fill(DEAL);
    await form.getByRole('combobox', { name: 'Account' }).fill('Sao Mai');
    await form.getByRole('option', { name: ACCOUNT }).click();
    // Two weeks out: not overdue whatever the workspace's time zone, and `negotiation` needs a date.
    await form.getByLabel('Expected close').fill(inDays(14));
    // No amount and no primary contact: the `proposal` stage will ask for both.
    expect(await form.getByLabel('Amount', { exact: true }).inputValue()).toBe('');
    await page.getByTestId('deal-form-submit').click();
    await form.waitFor({ state: 'detached' });
    await card(page, 'qualifying').waitFor();
    dealId = (await card(page, 'qualifying').getAttribute('data-deal-id')) ?? '';
    expect(dealId).not.toBe('');
  });

  it('invites a second member from Settings, who joins in another browser and opens the board', async () => {
    await go(page, '/settings/members');
    const invite = page.getByTestId('invite-form');
    await invite.getByLabel('Email').fill(memberEmail);
    await invite.getByRole('button', { name: 'Invite' }).click();
    const link = (await page.getByTestId('invite-link').textContent())?.trim() ?? '';
    expect(link).toMatch(/\/invite\?token=/);
    expect(await axeViolations(page)).toEqual([]);

    ctx2 = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-US' });
    page2 = await ctx2.newPage();
    page2.on('pageerror', (err) => pageErrors.push(`[second] ${err.message}`));
    await page2.goto(link);
    await page2.getByLabel('Your name').fill('Phạm Quốc Bảo');
    await page2.getByLabel('Password').fill(PASSWORD);
    await page2.getByRole('button', { name: 'Join' }).click();
    await page2.waitForURL(/\/dashboard$/);
    // The live dot: the second browser's socket is authenticated before the board subscribes its room.
    await page2.locator('.live-dot.live-live').waitFor();
    await go(page2, '/pipeline');
    await card(page2, 'qualifying').waitFor();

    // The team now has two members (the picture without the one-time link).
    await go(page, '/settings/members');
    await page.getByTestId('members-table').getByText('Phạm Quốc Bảo').waitFor();
    await scan(page, 'settings');
  });

  it('drags the deal to the next stage with the mouse; the other browser sees it live', async () => {
    await go(page, '/pipeline');
    await drag(page, card(page, 'qualifying'), page.getByTestId('column-discovery'));
    await card(page, 'discovery').waitFor();
    // The second browser: no reload, the card arrives in its new column marked as someone else's change.
    await card(page2, 'discovery')
      .locator('[data-testid="card-remote-updated"]')
      .waitFor({ timeout: 10_000 });
    expect(await card(page2, 'qualifying').count()).toBe(0);
    // The move was persisted, not only drawn.
    await page.reload();
    await card(page, 'discovery').waitFor();
  });

  it('is blocked from entering proposal, fills the amount and primary contact it asks for, and moves', async () => {
    await drag(page, card(page, 'discovery'), page.getByTestId('column-proposal'));
    const dialog = page.getByTestId('blocked-move');
    await dialog.waitFor();
    // Rolled back meanwhile: the card is still in discovery.
    await card(page, 'discovery').waitFor();
    const rules = await dialog
      .locator('.blocked-rule')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-field')).sort());
    expect(rules).toEqual(['amount', 'primary_contact_id']);
    await expect.poll(() => dialog.textContent()).toContain('Amount is required');
    await scan(page, 'pipeline-blocked');
    await dialog.getByLabel('Amount (VND)').fill(AMOUNT);
    const contact = dialog.getByRole('group', { name: 'Primary contact' }).getByLabel('Choose');
    await expect.poll(() => contact.locator('option').allTextContents()).toContain(CONTACT);
    await contact.selectOption({ label: CONTACT });
    await page.getByTestId('blocked-move-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await card(page, 'proposal').waitFor();
    await expect.poll(() => card(page, 'proposal').textContent()).toContain(AMOUNT_TEXT);
    await card(page2, 'proposal').waitFor({ timeout: 10_000 });
  });

  it('moves the deal by keyboard (Space, ArrowRight, Space) and the other browser follows', async () => {
    const handle = page.getByRole('button', { name: `Move ${DEAL}` });
    await handle.focus();
    await page.keyboard.press('Space');
    await page.waitForTimeout(150);
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(300);
    await page.keyboard.press('Space');
    await card(page, 'negotiation').waitFor();
    await card(page2, 'negotiation')
      .locator('[data-testid="card-remote-updated"]')
      .waitFor({ timeout: 10_000 });
    // The drag scrolled the board sideways to follow the card: back to the first column for the picture.
    await page.locator('.board-columns').evaluate((el) => el.scrollTo({ left: 0 }));
    await scan(page, 'pipeline');
  });

  it('closes the deal as won on its page', async () => {
    await card(page, 'negotiation').getByRole('link', { name: DEAL }).click();
    await page.waitForURL(new RegExp(`/deals/${dealId}$`));
    await page.getByTestId('deal-page').getByRole('heading', { name: DEAL }).waitFor();
    await scan(page, 'deal');
    await page.getByTestId('close-deal').click();
    await page.getByTestId('close-outcome-won').check();
    await page.getByTestId('close-submit').click();
    await expect.poll(() => page.getByTestId('deal-status').getAttribute('data-status')).toBe('won');
    await expect.poll(() => page.getByTestId('deal-status').textContent()).toMatch(/won/i);
  });

  it('shows the won deal on the dashboard', async () => {
    await go(page, '/dashboard');
    const won = page.getByTestId('kpi-won-month').getByTestId('kpi-value');
    await expect.poll(() => won.textContent(), { timeout: 10_000 }).toBe(AMOUNT_TEXT);
    const rate = (await page.getByTestId('kpi-win-rate').getByTestId('kpi-value').textContent()) ?? '';
    expect(rate).toMatch(/^\d+%$/);
    await scan(page, 'dashboard');
  });

  it('passes the accessibility scan on the other main pages', { timeout: 60_000 }, async () => {
    await go(page, '/deals');
    await page.getByRole('link', { name: DEAL }).first().waitFor();
    await scan(page, 'deals');

    await go(page, '/accounts');
    await page.getByRole('link', { name: ACCOUNT }).waitFor();
    await scan(page, 'accounts');
    await page.getByRole('link', { name: ACCOUNT }).click();
    await page.getByTestId('account-page').getByRole('heading', { name: ACCOUNT }).waitFor();
    await scan(page, 'account');

    await go(page, '/contacts');
    const person = page.getByTestId('contact-row').getByRole('link', { name: CONTACT });
    await person.waitFor();
    await scan(page, 'contacts');
    await person.click();
    await page.getByTestId('contact-drawer').waitFor();
    const drawer = page.getByTestId('contact-drawer');
    // The salutation display of seed 000 (a woman named Thị Lan is "Chị Lan").
    await expect.poll(() => drawer.textContent()).toContain('Chị Lan');
    await drawer.getByRole('tab', { name: 'Channels' }).click();
    await expect.poll(() => drawer.textContent()).toContain(CONTACT_EMAIL);
    await expect.poll(() => drawer.textContent()).toContain('+84912345678');
    await scan(page, 'contact-drawer');

    await go(page, '/activities');
    await page.getByText('Demo of the warehouse module').first().waitFor();
    await scan(page, 'activities');
  });

  it('raised no uncaught error in either browser', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The rest of a small team's workspace, written through the API as the new user: a few accounts with
 * people, open deals across the first stages, logged calls and meetings and upcoming tasks.
 */
async function seedBackground(server: WebServer, email: string): Promise<void> {
  const anon = api(server.t.app);
  const login = await anon.post<{ tokens: { access_token: string } }>('/crm/v1/auth/login', {
    email,
    password: PASSWORD,
  });
  expect(login.status).toBe(200);
  const c = api(server.t.app, login.body.tokens.access_token);
  const key = () => ({ 'idempotency-key': randomUUID() });
  const created = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await c.post<T>(path, body, key());
    if (r.status !== 201 && r.status !== 200) throw new Error(`${path}: ${r.status} ${r.raw}`);
    return r.body;
  };
  const pipelines = await c.get<{ data: Array<{ stages: Array<{ id: string; code: string }> }> }>(
    '/crm/v1/pipelines',
  );
  const stage = (code: string) => {
    const s = pipelines.body.data[0]?.stages.find((x) => x.code === code);
    if (!s) throw new Error(`no stage ${code}`);
    return s.id;
  };
  const companies = [
    {
      name: 'Công ty Cổ phần Thực phẩm Hương Việt',
      legal_type: 'jsc',
      industry: 'Food & beverage',
      person: ['Trần', 'Quốc Huy', 'huy.tran@huongviet.example', 'Giám đốc mua hàng'],
    },
    {
      name: 'Công ty TNHH Xây dựng Đông Á',
      legal_type: 'llc',
      industry: 'Construction',
      person: ['Lê', 'Thu Hà', 'ha.le@donga-xd.example', 'Trưởng phòng IT'],
    },
    {
      name: 'Bệnh viện Đa khoa Tâm An',
      industry: 'Healthcare',
      person: ['Phạm', 'Đức Minh', 'minh.pham@taman.example', 'Phó giám đốc'],
    },
  ];
  const deals: Array<{ name: string; amount: number; stage: string; days: number }> = [
    { name: 'Hệ thống ERP Hương Việt', amount: 480_000_000, stage: 'qualifying', days: 45 },
    { name: 'Gia hạn bản quyền Đông Á', amount: 95_000_000, stage: 'discovery', days: 20 },
    { name: 'Cổng bệnh nhân trực tuyến Tâm An', amount: 1_250_000_000, stage: 'proposal', days: 60 },
  ];
  const day = 86_400_000;
  for (const [i, co] of companies.entries()) {
    const account = await created<{ id: string }>('/crm/v1/accounts', {
      name: co.name,
      ...(co.legal_type ? { legal_type: co.legal_type } : {}),
      industry: co.industry,
      lifecycle: 'prospect',
    });
    const [last, first, mail, title] = co.person as [string, string, string, string];
    const contact = await created<{ id: string }>('/crm/v1/contacts', {
      first_name: first,
      last_name: last,
      account_id: account.id,
      title,
      channels: [
        { kind: 'email', value: mail },
        { kind: 'phone', value: `090${i + 3} 555 ${String(100 + i * 37).padStart(3, '0')}` },
      ],
    });
    const d = deals[i] as (typeof deals)[number];
    const deal = await created<{ id: string }>('/crm/v1/deals', {
      name: d.name,
      account_id: account.id,
      primary_contact_id: contact.id,
      amount_minor: d.amount,
      currency: 'VND',
      stage_id: stage(d.stage),
      expected_close_date: inDays(d.days),
    });
    await created('/crm/v1/activities', {
      kind: i === 1 ? 'meeting' : 'call',
      subject: i === 1 ? 'Demo of the warehouse module' : 'Discovery call about current tools',
      occurred_at: new Date(Date.now() - (i + 1) * day).toISOString(),
      deal_id: deal.id,
      account_id: account.id,
      contact_id: contact.id,
    });
    await created('/crm/v1/activities', {
      kind: 'task',
      subject: i === 2 ? 'Send the revised quotation' : 'Follow up on the proposal',
      due_at: new Date(Date.now() + (2 * i - 1) * day).toISOString(),
      deal_id: deal.id,
      account_id: account.id,
    });
  }
}
