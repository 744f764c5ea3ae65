import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The CLI's own config file: where `login` keeps the server URL and the API key.
 *
 * Path: `$CYBEROS_CRM_CONFIG`, else `$XDG_CONFIG_HOME/cyberos-crm/config.json`, else
 * `~/.config/cyberos-crm/config.json`. Written with mode 0600 (the folder 0700): it holds a secret.
 * `CRM_URL` and `CRM_API_KEY` override what the file says (CI, containers, one-off runs).
 */

export interface CliConfig {
  url: string;
  api_key: string;
  /** Who the key acts as, for `login`'s and `whoami`'s answers (informative only). */
  workspace?: { id: string; slug: string; name: string };
  saved_at?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CYBEROS_CRM_CONFIG) return env.CYBEROS_CRM_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'cyberos-crm', 'config.json');
}

export function readConfigFile(path = configPath()): CliConfig | null {
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not valid JSON: run \`cyberos-crm login\` again`);
  }
  const c = parsed as Partial<CliConfig>;
  if (typeof c.url !== 'string' || typeof c.api_key !== 'string') {
    throw new Error(`${path} has no url and api_key: run \`cyberos-crm login\` again`);
  }
  return c as CliConfig;
}

export function writeConfigFile(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Created with 0600 and chmod-ed again: an existing file keeps its old mode on write.
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function removeConfigFile(path = configPath()): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

/** The URL and key to use: environment first, then the file. */
export function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
): { url: string; apiKey: string; source: 'env' | 'file' | 'mixed' } | null {
  const file = readConfigFile(configPath(env));
  const url = env.CRM_URL || file?.url;
  const apiKey = env.CRM_API_KEY || file?.api_key;
  if (!url || !apiKey) return null;
  const fromEnv = [Boolean(env.CRM_URL), Boolean(env.CRM_API_KEY)];
  const source = fromEnv.every(Boolean) ? 'env' : fromEnv.some(Boolean) ? 'mixed' : 'file';
  return { url: normalizeUrl(url), apiKey, source };
}

/** `https://crm.example.com/` → `https://crm.example.com`; the API paths carry `/crm/v1`. */
export function normalizeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`not a URL: ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http(s) URL: ${raw}`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '').replace(/\/crm\/v1$/, '')}`;
}
