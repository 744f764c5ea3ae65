import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Workspace } from './workspace.table.js';

const W = 'crm_core.crm_workspaces' as const;

export async function insertWorkspace(
  db: Kysely<DB>,
  row: { id: string; slug: string; name: string; created_by: string | null; locale?: string },
): Promise<Workspace> {
  return db.insertInto(W).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findWorkspace(db: Kysely<DB>, id: string): Promise<Workspace | undefined> {
  return db.selectFrom(W).selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

export async function updateWorkspaceRow(
  db: Kysely<DB>,
  id: string,
  version: number,
  patch: Partial<Pick<Workspace, 'name' | 'base_currency' | 'locale' | 'timezone'>>,
): Promise<Workspace | undefined> {
  return db
    .updateTable(W)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}
