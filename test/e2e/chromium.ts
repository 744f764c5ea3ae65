import { existsSync } from 'node:fs';

export function chromiumPath(): string | null {
  // Lets a developer run the server suites alone while someone else rebuilds the web app.
  if (process.env.CRM_NO_BROWSER === '1') return null;
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** `npm test` runs the browser suite when a Chromium is present; CI installs one and always runs it. */
export const BROWSER_AVAILABLE = chromiumPath() !== null;
if (!BROWSER_AVAILABLE && process.env.CI === 'true')
  throw new Error(
    'CI must run the browser suite: no Chromium found (set CHROMIUM_PATH or apt-get install chromium)',
  );
