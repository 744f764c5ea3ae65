import type { Generated, Selectable } from 'kysely';

export interface WorkspaceTable {
  id: string;
  slug: string;
  name: string;
  base_currency: Generated<string>;
  locale: Generated<string>;
  timezone: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface WorkspaceTables {
  'crm_core.crm_workspaces': WorkspaceTable;
}

export type Workspace = Selectable<WorkspaceTable>;
