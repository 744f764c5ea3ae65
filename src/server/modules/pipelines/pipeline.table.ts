import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '../../../shared/auth.js';

export type PipelineKind = 'sales' | 'partner' | 'inbound' | 'outbound' | 'custom';
export type StageCategory = 'open' | 'won' | 'lost';
export type StageOutcome = 'won' | 'lost' | 'cancelled';

export interface PipelineTable {
  tenant_id: string;
  id: string;
  name: string;
  kind: Generated<PipelineKind>;
  is_default: Generated<boolean>;
  position: Generated<number>;
  enforce_transitions: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface PipelineStageTable {
  tenant_id: string;
  id: string;
  pipeline_id: string;
  code: string;
  name_vi: string;
  name_en: string;
  position: number;
  default_probability: number;
  category: StageCategory;
  /** null for open stages; the status a deal gets on entering a closed one. */
  outcome: StageOutcome | null;
  /** Deal fields that must be set to enter this stage (see pipeline.rules.ts REQUIRABLE_FIELDS). */
  required_fields: Generated<string[]>;
  /** Roles allowed to move deals into this stage; empty: any role with the permission. */
  allowed_roles: Generated<Role[]>;
  rotting_days: number | null;
  /** `#rrggbb`; null: the UI's colour for the category. */
  color: Generated<string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface PipelineTransitionTable {
  tenant_id: string;
  pipeline_id: string;
  from_stage_id: string;
  to_stage_id: string;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface PipelineTables {
  'crm_core.crm_pipelines': PipelineTable;
  'crm_core.crm_pipeline_stages': PipelineStageTable;
  'crm_core.crm_pipeline_transitions': PipelineTransitionTable;
}

export type PipelineRow = Selectable<PipelineTable>;
export type NewPipelineRow = Insertable<PipelineTable>;
export type PipelineRowUpdate = Updateable<PipelineTable>;
export type StageRow = Selectable<PipelineStageTable>;
export type NewStageRow = Insertable<PipelineStageTable>;
export type StageRowUpdate = Updateable<PipelineStageTable>;
export type TransitionRow = Selectable<PipelineTransitionTable>;
