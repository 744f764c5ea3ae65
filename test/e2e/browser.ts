import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type TestApp, testApp } from '../helpers.js';
import { chromiumPath } from './chromium.js';

/**
 * The browser suite's harness: Debian's Chromium driven by playwright-core, against the real server
 * (the built web app + API + WebSocket on one port, the outbox relay running) on the test database.
 */

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath() ?? undefined,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface WebServer {
  url: string;
  t: TestApp;
  close(): Promise<void>;
}

/** The whole server on a free port, with the relay delivering events (the live board depends on it). */
export async function startWebServer(): Promise<WebServer> {
  const t = await testApp({ OUTBOX_POLL_MS: 50 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  t.relay.start();
  return {
    url: `http://127.0.0.1:${port}`,
    t,
    close: async () => {
      await t.relay.stop();
      await t.close();
    },
  };
}

/** Serious and critical accessibility violations on the page as it is now (axe-core, WCAG 2.1 AA). */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Screenshots go to docs/screenshots/ (shown in the README) when SCREENSHOTS=1, else to a temporary
 * directory, so an ordinary test run does not rewrite committed images.
 */
const SHOT_DIR =
  process.env.SCREENSHOTS === '1'
    ? path.resolve('docs/screenshots')
    : path.join(os.tmpdir(), `crm-screenshots-${process.pid}`);

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`), fullPage: false });
}
