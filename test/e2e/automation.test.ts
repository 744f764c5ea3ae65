import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers.js';
import { axeViolations, launchBrowser, screenshot, startWebServer, type WebServer } from './browser.js';
import { BROWSER_AVAILABLE } from './chromium.js';

/**
 * Automation in a real Chromium, in English: an admin signs up, builds the workflow "when a deal enters
 * the proposal stage → create a task for its owner" in Settings → Automation (trigger, a condition row,
 * the task action with a {{deal.name}} placeholder), a deal is moved through the API, and the admin sees
 * the successful run in the settings and the task with its rendered title on the deal's page. The
 * automation page and the editor are scanned with axe.
 */

const PASSWORD = 'a-long-enough-password-1';
const DEAL = 'Kho lạnh Sao Mai';
const WORKFLOW = 'Proposal follow-up';

describe.skipIf(!BROWSER_AVAILABLE)('Automation in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let dealId = '';
  const email = `automation-${randomUUID().slice(0, 8)}@binhminh.example`;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
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
    await page.getByLabel('Company or team name').fill('Công ty TNHH Tự động Bình Minh');
    await page.getByLabel('Your name').fill('Trần Minh Anh');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(/\/dashboard$/);
  });

  it('builds the workflow in Settings → Automation', async () => {
    await go('/settings/automation');
    await page.getByRole('heading', { name: 'Automation' }).waitFor();
    await page.getByText('No workflows yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'New workflow' }).click();
    const editor = page.getByTestId('workflow-editor');
    await editor.getByLabel('Name', { exact: true }).fill(WORKFLOW);
    await editor.getByLabel('When this happens').selectOption('deal.stage_changed');
    await editor.getByRole('button', { name: 'Add condition' }).click();
    const condition = editor.getByTestId('condition-0');
    await condition.getByLabel('Field').selectOption('change.to_stage_code');
    await condition.getByLabel('Operator').selectOption('eq');
    await condition.getByLabel('Value').fill('proposal');
    const action = editor.getByTestId('action-0');
    expect(await action.getByLabel('Action', { exact: true }).inputValue()).toBe('create_task');
    await action.getByLabel('Task title').fill('Send the proposal: {{deal.name}}');
    await action.getByLabel('Due in').fill('2');
    await action.getByLabel('Assign to').selectOption('record_owner');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'automation-editor');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'detached' });

    const row = page.getByTestId('workflow-row').filter({ hasText: WORKFLOW });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('A deal changes stage');
    expect(await row.getByRole('switch', { name: `Enable ${WORKFLOW}` }).isChecked()).toBe(true);
    await expect.poll(() => row.textContent()).toContain('Never run');
  });

  it('a deal moved to proposal through the API runs it: the run and the task show in the UI', async () => {
    const login = await api(server.t.app).post<{ tokens: { access_token: string } }>('/crm/v1/auth/login', {
      email,
      password: PASSWORD,
    });
    expect(login.status, login.raw).toBe(200);
    const c = api(server.t.app, login.body.tokens.access_token);
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const r = await c.post<T>(path, body, { 'idempotency-key': randomUUID() });
      if (r.status !== 201 && r.status !== 200) throw new Error(`${path}: ${r.status} ${r.raw}`);
      return r.body;
    };
    const pipelines = await c.get<{ data: Array<{ stages: Array<{ id: string; code: string }> }> }>(
      '/crm/v1/pipelines',
    );
    const stage = (code: string) => pipelines.body.data[0]?.stages.find((s) => s.code === code)?.id ?? '';
    const account = await post<{ id: string }>('/crm/v1/accounts', {
      name: 'Công ty TNHH Logistics Sao Mai',
    });
    const contact = await post<{ id: string }>('/crm/v1/contacts', {
      first_name: 'Thị Lan',
      last_name: 'Nguyễn',
      account_id: account.id,
    });
    let deal = await post<{ id: string; version: number }>('/crm/v1/deals', {
      name: DEAL,
      account_id: account.id,
      primary_contact_id: contact.id,
      amount_minor: 180_000_000,
      currency: 'VND',
      stage_id: stage('discovery'),
    });
    dealId = deal.id;
    deal = await post(`/crm/v1/deals/${deal.id}/move`, {
      stage_id: stage('proposal'),
      version: deal.version,
    });

    // The relay runs in the server: the consumer creates the task shortly after the move.
    await expect
      .poll(
        async () => {
          const list = await c.get<{
            data: Array<{ last_run: { status: string; error: string | null } | null }>;
          }>('/crm/v1/workflows');
          const last = list.body.data[0]?.last_run;
          return last ? `${last.status}${last.error ? `: ${last.error}` : ''}` : 'none';
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe('succeeded');
    await go('/settings/automation');
    const row = page.getByTestId('workflow-row').filter({ hasText: WORKFLOW });
    await expect
      .poll(
        async () => {
          await page.reload();
          await row.waitFor();
          return row.textContent();
        },
        { timeout: 10_000, interval: 500 },
      )
      .toContain('Succeeded');

    await row.getByRole('button', { name: `Runs of ${WORKFLOW}` }).click();
    const runs = page.getByTestId('workflow-runs');
    await runs.waitFor();
    const run = runs.getByTestId('workflow-run').first();
    await expect.poll(() => run.textContent()).toContain('deal.stage_changed');
    await expect.poll(() => run.textContent()).toContain('Succeeded');
    await expect.poll(() => run.textContent()).toContain('Create a task');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'automation-runs');
    await page.keyboard.press('Escape');

    await go(`/deals/${dealId}`);
    await page.getByText(`Send the proposal: ${DEAL}`).first().waitFor({ timeout: 15_000 });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
