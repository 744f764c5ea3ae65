import { type Kysely, sql } from 'kysely';
import type { Role } from '../../../shared/auth.js';
import type { DB } from '../../db.js';
import type { RefreshToken } from './user.table.js';

/** SQL for users and sessions. Functions marked (system) run as crm_system: they cross workspaces. */

const U = 'crm_core.crm_users' as const;
const RT = 'crm_core.crm_refresh_tokens' as const;

export interface LoginUser {
  id: string;
  email: string;
  display_name: string;
  locale: string;
  password_hash: string | null;
  disabled_at: Date | null;
}

/** (system) The user with this email, with the password hash, for sign-in. */
export async function findLoginUser(db: Kysely<DB>, email: string): Promise<LoginUser | undefined> {
  return db
    .selectFrom(U)
    .select(['id', 'email', 'display_name', 'locale', 'password_hash', 'disabled_at'])
    .where('email', '=', email)
    .executeTakeFirst();
}

/** (system) The user linked to an external identity. */
export async function findExternalUser(
  db: Kysely<DB>,
  issuer: string,
  subject: string,
): Promise<LoginUser | undefined> {
  return db
    .selectFrom(U)
    .select(['id', 'email', 'display_name', 'locale', 'password_hash', 'disabled_at'])
    .where('external_issuer', '=', issuer)
    .where('external_subject', '=', subject)
    .executeTakeFirst();
}

export interface NewUser {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  locale: string;
  external_issuer?: string | null;
  external_subject?: string | null;
}

/** Inserts a user (no RETURNING: the new user is not yet a member, so RLS would hide the row). */
export async function insertUser(db: Kysely<DB>, user: NewUser): Promise<void> {
  await db.insertInto(U).values(user).execute();
}

export interface VisibleUser {
  id: string;
  email: string;
  display_name: string;
  locale: string;
  disabled_at: Date | null;
}

/** A member of the current workspace (RLS shows no one else). */
export async function findVisibleUser(db: Kysely<DB>, id: string): Promise<VisibleUser | undefined> {
  return db
    .selectFrom(U)
    .select(['id', 'email', 'display_name', 'locale', 'disabled_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface UserWorkspace {
  id: string;
  slug: string;
  name: string;
  role: Role;
}

/** (system) Every workspace where the user is an active member, oldest membership first. */
export async function workspacesOfUser(db: Kysely<DB>, userId: string): Promise<UserWorkspace[]> {
  return db
    .selectFrom('crm_core.crm_memberships as m')
    .innerJoin('crm_core.crm_workspaces as w', 'w.id', 'm.tenant_id')
    .select(['w.id', 'w.slug', 'w.name', 'm.role'])
    .where('m.user_id', '=', userId)
    .where('m.status', '=', 'active')
    .where('w.deleted_at', 'is', null)
    .orderBy('m.created_at')
    .execute();
}

/** (system) Whether a slug is free. */
export async function slugTaken(db: Kysely<DB>, slug: string): Promise<boolean> {
  const r = await db
    .selectFrom('crm_core.crm_workspaces')
    .select('id')
    .where('slug', '=', slug)
    .executeTakeFirst();
  return r !== undefined;
}

export async function insertRefreshToken(
  db: Kysely<DB>,
  row: Omit<RefreshToken, 'created_at' | 'rotated_at' | 'revoked_at' | 'revoked_reason'>,
): Promise<void> {
  await db.insertInto(RT).values(row).execute();
}

export async function findRefreshToken(
  db: Kysely<DB>,
  tenantId: string,
  tokenHash: string,
): Promise<RefreshToken | undefined> {
  return db
    .selectFrom(RT)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function markRotated(db: Kysely<DB>, tenantId: string, id: string): Promise<void> {
  await db
    .updateTable(RT)
    .set({ rotated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/** Revokes every live token of a family; returns how many were live. */
export async function revokeFamily(
  db: Kysely<DB>,
  tenantId: string,
  familyId: string,
  reason: string,
): Promise<number> {
  const r = await db
    .updateTable(RT)
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('tenant_id', '=', tenantId)
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Revokes all sessions of a user in a workspace; returns the affected family ids. */
export async function revokeUserSessions(
  db: Kysely<DB>,
  tenantId: string,
  userId: string,
  reason: string,
): Promise<string[]> {
  const rows = await db
    .updateTable(RT)
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('family_id')
    .execute();
  return [...new Set(rows.map((r) => r.family_id))];
}
