import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase } from '../src/server/platform/db/database.js';
import { migrateUp } from '../src/server/platform/db/migrate.js';
import { buildWebApp, webBuildNeeded } from '../src/server/platform/http/web-build.js';
import { BROWSER_AVAILABLE } from './e2e/chromium.js';

/**
 * Prepares one migrated database for the run.
 * - PGlite (default): migrate an in-memory instance once and dump it; each worker starts from the dump.
 * - PostgreSQL (TEST_DATABASE_URL): drop and recreate that database, then migrate it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // The browser suite needs the built web app; build it once here, not in each worker.
  if (BROWSER_AVAILABLE && webBuildNeeded()) await buildWebApp();
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    await recreateDatabase(url);
    const db = await createDatabase({ kind: 'postgres', url, poolMax: 2 });
    await migrateUp(db);
    await db.destroy();
    return async () => {};
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-test-'));
  const db = await createDatabase({ kind: 'pglite', dataDir: undefined });
  await migrateUp(db);
  const dump = await db.dumpDataDir();
  await db.destroy();
  const file = path.join(dir, 'template.tar.gz');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.CRM_TEST_PGLITE_TEMPLATE = file;
  return async () => rmSync(dir, { recursive: true, force: true });
}

/** Drops and recreates the database named in the URL, connecting to its server's `postgres` database. */
export async function recreateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing to recreate database "${name}": use [a-z0-9_]`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
