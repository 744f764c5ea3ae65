import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Database } from './database.js';
import * as m0001 from './migrations/0001_platform.js';
import * as m0002 from './migrations/0002_accounts.js';
import * as m0003 from './migrations/0003_account_search_tiers.js';
import * as m0004 from './migrations/0004_partition_accounts.js';
import * as m0005 from './migrations/0005_contacts.js';
import * as m0006 from './migrations/0006_pipelines.js';
import * as m0007 from './migrations/0007_deals.js';
import * as m0008 from './migrations/0008_activities.js';
import * as m0009 from './migrations/0009_global_search.js';
import * as m0010 from './migrations/0010_webhooks.js';
import * as m0011 from './migrations/0011_vietnam.js';
import * as m0012 from './migrations/0012_inbound.js';
import * as m0013 from './migrations/0013_contact_merge.js';
import * as m0014 from './migrations/0014_stage_colour.js';
import * as m0015 from './migrations/0015_leads.js';
import * as m0016 from './migrations/0016_workflows.js';
import * as m0017 from './migrations/0017_tags.js';
import * as m0018 from './migrations/0018_deal_rank.js';
import * as m0019 from './migrations/0019_vat_method.js';
import * as m0020 from './migrations/0020_lead_search.js';
import * as m0021 from './migrations/0021_account_search_words.js';
import * as m0022 from './migrations/0022_lead_activities.js';
import * as m0023 from './migrations/0023_global_search_words.js';
import * as m0024 from './migrations/0024_workflow_run_retention.js';
import * as m0025 from './migrations/0025_search_words_plpgsql.js';
import * as m0026 from './migrations/0026_audit_chain_in_sql.js';
import * as m0027 from './migrations/0027_one_statement_writes.js';
import * as m0028 from './migrations/0028_lead_search_empty_workspace.js';
import * as m0029 from './migrations/0029_account_search_estimate.js';
import * as m0030 from './migrations/0030_deal_search_small_workspace.js';
import * as m0031 from './migrations/0031_global_search_by_name.js';
import * as m0032 from './migrations/0032_global_search_static_probes.js';
import * as m0033 from './migrations/0033_search_functions_keep_auto_plans.js';
import * as m0034 from './migrations/0034_global_search_join_back_by_key.js';

/**
 * Migrations are listed here explicitly (no directory scanning): the same list works from TypeScript
 * sources, tests and a bundled build, and the order is reviewable in one place.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_platform': m0001,
  '0002_accounts': m0002,
  '0003_account_search_tiers': m0003,
  '0004_partition_accounts': m0004,
  '0005_contacts': m0005,
  '0006_pipelines': m0006,
  '0007_deals': m0007,
  '0008_activities': m0008,
  '0009_global_search': m0009,
  '0010_webhooks': m0010,
  '0011_vietnam': m0011,
  '0012_inbound': m0012,
  '0013_contact_merge': m0013,
  '0014_stage_colour': m0014,
  '0015_leads': m0015,
  '0016_workflows': m0016,
  '0017_tags': m0017,
  '0018_deal_rank': m0018,
  '0019_vat_method': m0019,
  '0020_lead_search': m0020,
  '0021_account_search_words': m0021,
  '0022_lead_activities': m0022,
  '0023_global_search_words': m0023,
  '0024_workflow_run_retention': m0024,
  '0025_search_words_plpgsql': m0025,
  '0026_audit_chain_in_sql': m0026,
  '0027_one_statement_writes': m0027,
  '0028_lead_search_empty_workspace': m0028,
  '0029_account_search_estimate': m0029,
  '0030_deal_search_small_workspace': m0030,
  '0031_global_search_by_name': m0031,
  '0032_global_search_static_probes': m0032,
  '0033_search_functions_keep_auto_plans': m0033,
  '0034_global_search_join_back_by_key': m0034,
};

export const MIGRATION_SCHEMA = 'crm_core';
export const MIGRATION_TABLE = 'crm_migrations';

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableSchema: MIGRATION_SCHEMA,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(
      `migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'MigrationError';
  }
}

function check(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, result.error);
  }
  return (result.results ?? []).map((r) => `${r.direction === 'Up' ? 'up' : 'down'} ${r.migrationName}`);
}

async function ensureSchema(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`CREATE SCHEMA IF NOT EXISTS ${MIGRATION_SCHEMA}`).execute(db);
}

/** Applies every pending migration as the schema owner. Returns what ran. */
export async function migrateUp<DB>(database: Database<DB>): Promise<string[]> {
  return database.owner(async (db) => {
    const k = db as unknown as Kysely<unknown>;
    await ensureSchema(k);
    return check(await migrator(k).migrateToLatest());
  });
}

/** Reverts the last `steps` migrations (all of them with steps = Infinity). */
export async function migrateDown<DB>(database: Database<DB>, steps = 1): Promise<string[]> {
  return database.owner(async (db) => {
    const k = db as unknown as Kysely<unknown>;
    await ensureSchema(k);
    const ran: string[] = [];
    for (let i = 0; i < steps; i++) {
      const r = await migrator(k).migrateDown();
      const done = check(r);
      if (done.length === 0) break;
      ran.push(...done);
    }
    return ran;
  });
}

export interface MigrationStatus {
  name: string;
  executedAt: Date | null;
}

export async function migrationStatus<DB>(database: Database<DB>): Promise<MigrationStatus[]> {
  return database.owner(async (db) => {
    const k = db as unknown as Kysely<unknown>;
    await ensureSchema(k);
    const list = await migrator(k).getMigrations();
    return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
  });
}

/** True when every known migration has run (used by /readyz). */
export async function migrationsCurrent<DB>(database: Database<DB>): Promise<boolean> {
  const status = await migrationStatus(database);
  return status.every((m) => m.executedAt !== null);
}
