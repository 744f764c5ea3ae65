import { type Kysely, sql } from 'kysely';
import type { Role } from '../../../shared/auth.js';
import type { DB } from '../../db.js';
import type { ApiKey } from './user.table.js';

const K = 'crm_core.crm_api_keys' as const;

export async function insertApiKey(
  db: Kysely<DB>,
  row: Omit<ApiKey, 'created_at' | 'updated_at' | 'last_used_at' | 'revoked_at' | 'version'>,
): Promise<ApiKey> {
  return db.insertInto(K).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listApiKeyRows(db: Kysely<DB>, tenantId: string): Promise<ApiKey[]> {
  return db
    .selectFrom(K)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function findApiKey(db: Kysely<DB>, tenantId: string, id: string): Promise<ApiKey | undefined> {
  return db
    .selectFrom(K)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function revokeApiKeyRow(db: Kysely<DB>, tenantId: string, id: string): Promise<ApiKey> {
  return db
    .updateTable(K)
    .set({ revoked_at: sql`now()`, updated_at: sql`now()`, version: sql`version + 1` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  created_by: string;
  role: Role;
  member_status: 'active' | 'disabled';
  email: string;
  user_disabled_at: Date | null;
}

/** The key with this hash and the membership of its creator (whose role it acts with). */
export async function findApiKeyPrincipal(
  db: Kysely<DB>,
  tenantId: string,
  tokenHash: string,
): Promise<ApiKeyPrincipal | undefined> {
  return db
    .selectFrom('crm_core.crm_api_keys as k')
    .innerJoin('crm_core.crm_memberships as m', (j) =>
      j.onRef('m.tenant_id', '=', 'k.tenant_id').onRef('m.user_id', '=', 'k.created_by'),
    )
    .innerJoin('crm_core.crm_users as u', 'u.id', 'k.created_by')
    .select([
      'k.id',
      'k.name',
      'k.scopes',
      'k.expires_at',
      'k.revoked_at',
      'k.created_by',
      'm.role',
      'm.status as member_status',
      'u.email',
      'u.disabled_at as user_disabled_at',
    ])
    .where('k.tenant_id', '=', tenantId)
    .where('k.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Bookkeeping, not a user-visible change: not audited, throttled by the caller. */
export async function touchApiKey(db: Kysely<DB>, tenantId: string, id: string): Promise<void> {
  await db
    .updateTable(K)
    .set({ last_used_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
