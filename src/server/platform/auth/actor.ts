import {
  PERMISSION_SCOPE,
  type Permission,
  ROLE_PERMISSIONS,
  type Role,
  SCOPES,
  type Scope,
} from '../../../shared/auth.js';
import { AppError } from '../errors.js';

/**
 * Who is acting. Every service call receives one; authorization decisions are made from it alone.
 * `userId` is the person behind the action (for an API key, the member who created it).
 */
export interface Actor {
  type: 'user' | 'api_key' | 'system';
  /** user id, API key id, or the system actor id */
  id: string;
  userId: string | null;
  workspaceId: string;
  role: Role;
  scopes: ReadonlySet<Scope>;
  /** Human-readable label for the audit log: an email, "API key <name>", "system". */
  label: string;
  via: 'session' | 'api_key' | 'oidc' | 'system';
  /** Session (refresh-token family) id, for logout. */
  sessionId?: string;
}

export const ALL_SCOPES: ReadonlySet<Scope> = new Set(SCOPES);

export const SYSTEM_ACTOR_ID = '00000000-0000-7000-8000-000000000000';

export function systemActor(workspaceId: string, label = 'system'): Actor {
  return {
    type: 'system',
    id: SYSTEM_ACTOR_ID,
    userId: null,
    workspaceId,
    role: 'admin',
    scopes: ALL_SCOPES,
    label,
    via: 'system',
  };
}

/** A permission holds when the role grants it and the credential carries its scope. */
export function can(actor: Actor, permission: Permission): boolean {
  return ROLE_PERMISSIONS[actor.role].has(permission) && actor.scopes.has(PERMISSION_SCOPE[permission]);
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (can(actor, permission)) return;
  const scope = PERMISSION_SCOPE[permission];
  if (!actor.scopes.has(scope)) {
    throw new AppError(
      'insufficient_scope',
      `This credential lacks the ${scope} scope needed for ${permission}`,
      {
        extra: { required_scope: scope },
      },
    );
  }
  throw new AppError('forbidden', `Your role (${actor.role}) does not allow ${permission}`, {
    extra: { required_permission: permission },
  });
}
