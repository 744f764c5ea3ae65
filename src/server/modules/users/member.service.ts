import type { AppPlatform } from '../../db.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import {
  hashPassword,
  parseWorkspaceToken,
  sha256,
  verifyPassword,
  workspaceToken,
} from '../../platform/auth/crypto.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import {
  findInvitation,
  findMembership,
  insertInvitation,
  insertMembership,
  listInvitationRows,
  listMemberRows,
  lockActiveAdmins,
  type MemberRow,
  markInvitation,
  updateMembershipRow,
} from './member.repository.js';
import type { CreateInvitationInput, UpdateMemberInput } from './member.schema.js';
import { forgetCachedCredentials } from './user.credentials.js';
import { invitationEvent, memberAdded, memberUpdated } from './user.events.js';
import { findLoginUser, insertUser, revokeUserSessions } from './user.repository.js';
import type { AcceptInvitationInput } from './user.schema.js';
import { type ClientMeta, LoginThrottle, logIn, type SessionResult } from './user.service.js';
import type { Invitation } from './user.table.js';

/** Members of the workspace and invitations to join it. */

export const INVITATION_PREFIX = 'crm_inv';

export function presentMember(m: MemberRow) {
  return {
    user_id: m.user_id,
    email: m.email,
    display_name: m.display_name,
    role: m.role,
    status: m.status,
    joined_at: m.created_at.toISOString(),
    version: m.version,
  };
}

function invitationStatus(i: Invitation): 'pending' | 'accepted' | 'revoked' | 'expired' {
  if (i.accepted_at) return 'accepted';
  if (i.revoked_at) return 'revoked';
  if (i.expires_at.getTime() <= Date.now()) return 'expired';
  return 'pending';
}

export function presentInvitation(i: Invitation) {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: invitationStatus(i),
    expires_at: i.expires_at.toISOString(),
    created_at: i.created_at.toISOString(),
  };
}

export async function listMembers(p: AppPlatform, ctx: RequestContext) {
  const ws = ctx.actor.workspaceId;
  const rows = await p.db.read(ws, (db) => listMemberRows(db, ws));
  return { data: rows.map(presentMember) };
}

export async function updateMember(
  p: AppPlatform,
  ctx: RequestContext,
  userId: string,
  input: UpdateMemberInput,
) {
  const { actor } = ctx;
  requirePermission(actor, 'crm.members.manage');
  const ws = actor.workspaceId;
  const { updated, revokedFamilies } = await p.write(ctx, async (uow) => {
    const admins = await lockActiveAdmins(uow.trx, ws);
    const current = await findMembership(uow.trx, ws, userId, { forUpdate: true });
    if (!current) throw new AppError('member_not_found', 'Member not found');
    const losesAdmin =
      current.role === 'admin' &&
      current.status === 'active' &&
      ((input.role !== undefined && input.role !== 'admin') || input.status === 'disabled');
    if (losesAdmin && admins.length <= 1) {
      throw new AppError(
        'conflict',
        'A workspace needs at least one active admin; promote someone else first',
      );
    }
    const row = await updateMembershipRow(uow.trx, ws, userId, input);
    if (!row) throw new AppError('member_not_found', 'Member not found');
    const diff: Record<string, { from: unknown; to: unknown }> = {};
    if (input.role !== undefined && input.role !== current.role)
      diff.role = { from: current.role, to: input.role };
    if (input.status !== undefined && input.status !== current.status)
      diff.status = { from: current.status, to: input.status };
    // A changed role or a disabled member must not keep acting on old tokens.
    const revokedFamilies =
      Object.keys(diff).length > 0 ? await revokeUserSessions(uow.trx, ws, userId, 'membership_changed') : [];
    uow.audit({ action: 'member.updated', entityType: 'member', entityId: userId, diff });
    uow.emit(memberUpdated(userId, diff));
    const members = await listMemberRows(uow.trx, ws);
    return { updated: members.find((m) => m.user_id === userId) as MemberRow, revokedFamilies };
  });
  await Promise.all(revokedFamilies.map((f) => p.revocations.revoke(f)));
  // Their API keys (and OIDC sign-ins) were cached with the old role/status: forget them too.
  forgetCachedCredentials(p, ws, userId);
  return presentMember(updated);
}

export async function createInvitation(p: AppPlatform, ctx: RequestContext, input: CreateInvitationInput) {
  const { actor } = ctx;
  requirePermission(actor, 'crm.members.manage');
  const ws = actor.workspaceId;
  const token = workspaceToken(INVITATION_PREFIX, ws);
  const invitation = await p.write(ctx, async (uow) => {
    const members = await listMemberRows(uow.trx, ws);
    if (members.some((m) => m.email === input.email)) {
      throw new AppError('already_member', `${input.email} is already a member of this workspace`);
    }
    const inv = await insertInvitation(uow.trx, {
      tenant_id: ws,
      id: newId(),
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      invited_by: actor.userId,
      expires_at: new Date(Date.now() + input.expires_in_days * 86_400_000),
    });
    uow.audit({
      action: 'invitation.created',
      entityType: 'invitation',
      entityId: inv.id,
      diff: { email: { from: null, to: inv.email }, role: { from: null, to: inv.role } },
    });
    uow.emit(invitationEvent('invitation.created', inv));
    return inv;
  });
  return {
    invitation: presentInvitation(invitation),
    token,
    accept_path: `/invite?token=${encodeURIComponent(token)}`,
  };
}

export async function listInvitations(p: AppPlatform, ctx: RequestContext) {
  requirePermission(ctx.actor, 'crm.members.manage');
  const ws = ctx.actor.workspaceId;
  const rows = await p.db.read(ws, (db) => listInvitationRows(db, ws));
  return { data: rows.map(presentInvitation) };
}

export async function revokeInvitation(p: AppPlatform, ctx: RequestContext, id: string) {
  requirePermission(ctx.actor, 'crm.members.manage');
  const ws = ctx.actor.workspaceId;
  const inv = await p.write(ctx, async (uow) => {
    const current = await findInvitation(uow.trx, ws, { id }, { forUpdate: true });
    if (!current) throw new AppError('invitation_not_found', 'Invitation not found');
    if (invitationStatus(current) !== 'pending') {
      throw new AppError('conflict', `The invitation is already ${invitationStatus(current)}`);
    }
    const row = await markInvitation(uow.trx, ws, id, { revoked_at: new Date() });
    uow.audit({
      action: 'invitation.revoked',
      entityType: 'invitation',
      entityId: id,
      diff: { revoked: { from: false, to: true } },
    });
    uow.emit(invitationEvent('invitation.revoked', row));
    return row;
  });
  return presentInvitation(inv);
}

/**
 * Accepting an invitation: a new person sets a display name and password; someone who already has an
 * account proves it with their password. Either way they become a member with the invited role and get
 * a session in that workspace.
 */
export async function acceptInvitation(
  p: AppPlatform,
  input: AcceptInvitationInput,
  meta: ClientMeta,
): Promise<SessionResult> {
  const parsed = parseWorkspaceToken(INVITATION_PREFIX, input.token);
  const notFound = () => new AppError('invitation_not_found', 'This invitation link is not valid');
  if (!parsed) throw notFound();
  const ws = parsed.workspaceId;
  const tokenHash = sha256(input.token);
  const preview = await p.db.read(ws, (db) => findInvitation(db, ws, { tokenHash }));
  if (!preview) throw notFound();
  const status = invitationStatus(preview);
  if (status === 'expired')
    throw new AppError('invitation_expired', 'This invitation has expired; ask for a new one');
  if (status !== 'pending') throw new AppError('conflict', `This invitation was already ${status}`);

  const existing = await p.db.system((db) => findLoginUser(db, preview.email));
  let newUser: { id: string; display_name: string; password_hash: string } | null = null;
  if (existing) {
    // The same lock as sign-in: anyone can sign up and invite any email, so without it this endpoint was
    // an unthrottled password oracle for every account. A disabled account fails like a wrong password
    // (before, it consumed the invitation and joined, and only the final sign-in refused it).
    const throttle = new LoginThrottle(p);
    await throttle.assertOpen(existing.email, meta.ip);
    const ok = existing.password_hash ? await verifyPassword(existing.password_hash, input.password) : false;
    if (!ok || existing.disabled_at) {
      await throttle.failed(existing.email, meta.ip);
      throw new AppError('invalid_credentials', 'Enter the password of your existing account to accept');
    }
  } else {
    if (!input.display_name) {
      throw new AppError('validation_failed', 'Choose a display name', {
        fields: [
          {
            field: 'display_name',
            pointer: '/display_name',
            in: 'body',
            code: 'required',
            message: 'required for a new account',
          },
        ],
      });
    }
    if (input.password.length < 10) {
      throw new AppError('validation_failed', 'Choose a password of at least 10 characters', {
        fields: [
          {
            field: 'password',
            pointer: '/password',
            in: 'body',
            code: 'too_small',
            message: 'at least 10 characters',
          },
        ],
      });
    }
    newUser = {
      id: newId(),
      display_name: input.display_name,
      password_hash: await hashPassword(input.password),
    };
  }
  const userId = existing?.id ?? (newUser as { id: string }).id;
  const actor: Actor = {
    type: 'user',
    id: userId,
    userId,
    workspaceId: ws,
    role: preview.role,
    scopes: new Set(['crm.read']),
    label: preview.email,
    via: 'session',
  };
  await p.write({ actor, requestId: meta.requestId }, async (uow) => {
    const inv = await findInvitation(uow.trx, ws, { tokenHash }, { forUpdate: true });
    if (!inv || invitationStatus(inv) !== 'pending')
      throw new AppError('conflict', 'This invitation is no longer pending');
    if (newUser) {
      await insertUser(uow.trx, {
        id: newUser.id,
        email: inv.email,
        display_name: newUser.display_name,
        password_hash: newUser.password_hash,
        locale: 'vi',
      });
    }
    if (await findMembership(uow.trx, ws, userId)) {
      throw new AppError('already_member', 'You are already a member of this workspace');
    }
    await insertMembership(uow.trx, {
      tenant_id: ws,
      id: newId(),
      user_id: userId,
      role: inv.role,
      created_by: inv.invited_by,
    });
    await markInvitation(uow.trx, ws, inv.id, { accepted_at: new Date(), accepted_user_id: userId });
    uow.audit({
      action: 'member.added',
      entityType: 'member',
      entityId: userId,
      diff: { email: { from: null, to: inv.email }, role: { from: null, to: inv.role } },
    });
    uow.audit({ action: 'invitation.accepted', entityType: 'invitation', entityId: inv.id, diff: {} });
    uow.emit(memberAdded({ user_id: userId, email: inv.email, role: inv.role }));
    uow.emit(invitationEvent('invitation.accepted', inv));
  });
  // Now an ordinary sign-in into the invited workspace.
  return logIn(p, { email: preview.email, password: input.password, workspace_id: ws }, meta);
}
