import type { AppPlatform } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { presentWorkspace, type WorkspaceJson } from './workspace.presenter.js';
import { findWorkspace, updateWorkspaceRow } from './workspace.repository.js';
import type { UpdateWorkspaceInput } from './workspace.schema.js';

/** The current workspace's settings. Creating a workspace is part of sign-up (users module). */

export async function getWorkspace(p: AppPlatform, ctx: RequestContext): Promise<WorkspaceJson> {
  const w = await p.db.read(ctx.actor.workspaceId, (db) => findWorkspace(db, ctx.actor.workspaceId));
  if (!w) throw new AppError('workspace_not_found', 'Workspace not found');
  return presentWorkspace(w);
}

export async function updateWorkspace(
  p: AppPlatform,
  ctx: RequestContext,
  input: UpdateWorkspaceInput,
  ifMatch: number | undefined,
): Promise<WorkspaceJson> {
  requirePermission(ctx.actor, 'crm.settings.manage');
  const { version, ...patch } = input;
  const expected = ifMatch ?? version;
  const w = await p.write(ctx, async (uow) => {
    const current = await findWorkspace(uow.trx, ctx.actor.workspaceId);
    if (!current) throw new AppError('workspace_not_found', 'Workspace not found');
    if (expected !== undefined && expected !== current.version) {
      throw new AppError('precondition_failed', 'The workspace settings changed; reload and retry', {
        extra: { current_version: current.version },
      });
    }
    const updated = await updateWorkspaceRow(uow.trx, current.id, current.version, patch);
    if (!updated) throw new AppError('version_conflict', 'The workspace was changed concurrently; retry');
    const diff = diffRecords(presentWorkspace(current), presentWorkspace(updated));
    uow.audit({ action: 'workspace.updated', entityType: 'workspace', entityId: current.id, diff });
    uow.emit({
      type: 'workspace.updated',
      aggregateType: 'workspace',
      aggregateId: current.id,
      data: { changes: diff },
    });
    return updated;
  });
  return presentWorkspace(w);
}
