import type { Generated, Selectable } from 'kysely';
import type { Role } from '../../../shared/auth.js';

export interface UserTable {
  id: string;
  email: string;
  display_name: string;
  /** Never granted to crm_app; read only by the login lookup (crm_system). */
  password_hash: string | null;
  locale: Generated<string>;
  external_issuer: string | null;
  external_subject: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
  disabled_at: Date | null;
}

export interface RefreshTokenTable {
  tenant_id: string;
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  created_at: Generated<Date>;
  rotated_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

export interface ApiKeyTable {
  tenant_id: string;
  id: string;
  name: string;
  token_prefix: string;
  token_hash: string;
  scopes: string[];
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  version: Generated<number>;
}

export interface MembershipTable {
  tenant_id: string;
  id: string;
  user_id: string;
  role: Role;
  status: Generated<'active' | 'disabled'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  version: Generated<number>;
}

export interface InvitationTable {
  tenant_id: string;
  id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_user_id: string | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface UserTables {
  'crm_core.crm_users': UserTable;
  'crm_core.crm_refresh_tokens': RefreshTokenTable;
  'crm_core.crm_api_keys': ApiKeyTable;
  'crm_core.crm_memberships': MembershipTable;
  'crm_core.crm_invitations': InvitationTable;
}

export type User = Selectable<UserTable>;
export type ApiKey = Selectable<ApiKeyTable>;
export type Membership = Selectable<MembershipTable>;
export type Invitation = Selectable<InvitationTable>;
export type RefreshToken = Selectable<RefreshTokenTable>;
