import { type Kysely, sql } from 'kysely';
import type { Role } from '../../../shared/auth.js';
import type { DB } from '../../db.js';
import type { Invitation, Membership } from './user.table.js';

const M = 'crm_core.crm_memberships' as const;
const I = 'crm_core.crm_invitations' as const;

export async function insertMembership(
  db: Kysely<DB>,
  row: { tenant_id: string; id: string; user_id: string; role: Role; created_by: string | null },
): Promise<Membership> {
  return db.insertInto(M).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findMembership(
  db: Kysely<DB>,
  tenantId: string,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Membership | undefined> {
  let q = db.selectFrom(M).selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export interface MemberRow {
  user_id: string;
  email: string;
  display_name: string;
  role: Role;
  status: 'active' | 'disabled';
  created_at: Date;
  version: number;
}

export async function listMemberRows(db: Kysely<DB>, tenantId: string): Promise<MemberRow[]> {
  return db
    .selectFrom(M)
    .innerJoin('crm_core.crm_users as u', 'u.id', `${M}.user_id`)
    .select([
      `${M}.user_id`,
      'u.email',
      'u.display_name',
      `${M}.role`,
      `${M}.status`,
      `${M}.created_at`,
      `${M}.version`,
    ])
    .where(`${M}.tenant_id`, '=', tenantId)
    .orderBy('u.display_name')
    .execute();
}

export async function updateMembershipRow(
  db: Kysely<DB>,
  tenantId: string,
  userId: string,
  patch: Partial<Pick<Membership, 'role' | 'status'>>,
): Promise<Membership | undefined> {
  return db
    .updateTable(M)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
}

/** Active admins, locked, so two concurrent demotions cannot both leave the workspace admin-less. */
export async function lockActiveAdmins(db: Kysely<DB>, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom(M)
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .forUpdate()
    .execute();
  return rows.map((r) => r.user_id);
}

export async function insertInvitation(
  db: Kysely<DB>,
  row: Omit<
    Invitation,
    'created_at' | 'updated_at' | 'version' | 'accepted_at' | 'accepted_user_id' | 'revoked_at'
  >,
): Promise<Invitation> {
  return db.insertInto(I).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listInvitationRows(db: Kysely<DB>, tenantId: string): Promise<Invitation[]> {
  return db
    .selectFrom(I)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export async function findInvitation(
  db: Kysely<DB>,
  tenantId: string,
  by: { id: string } | { tokenHash: string },
  options: { forUpdate?: boolean } = {},
): Promise<Invitation | undefined> {
  let q = db.selectFrom(I).selectAll().where('tenant_id', '=', tenantId);
  q = 'id' in by ? q.where('id', '=', by.id) : q.where('token_hash', '=', by.tokenHash);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function markInvitation(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  patch: Partial<Pick<Invitation, 'accepted_at' | 'accepted_user_id' | 'revoked_at'>>,
): Promise<Invitation> {
  return db
    .updateTable(I)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
