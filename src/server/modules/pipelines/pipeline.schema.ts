import { z } from 'zod';
import { ROLES } from '../../../shared/auth.js';
import { text } from '../../platform/http/fields.js';
import { REQUIRABLE_FIELDS } from './pipeline.rules.js';

/** Inputs of the pipelines API. zod picks fields, so nothing else can be mass-assigned. */

export const PIPELINE_KINDS = ['sales', 'partner', 'inbound', 'outbound', 'custom'] as const;
export const STAGE_CATEGORIES = ['open', 'won', 'lost'] as const;
export const STAGE_OUTCOMES = ['won', 'lost', 'cancelled'] as const;
export const STAGE_CODE_RE = /^[a-z][a-z0-9_]{0,49}$/;
/** A pipeline is a board: more columns than this is a configuration mistake, not a sales process. */
export const MAX_STAGES = 30;
export const MAX_MOVES = MAX_STAGES * MAX_STAGES;

const stageCode = z
  .string()
  .trim()
  .regex(STAGE_CODE_RE, 'must start with a-z and contain only a-z, 0-9 and _ (at most 50 characters)');

/**
 * Unknown entries are reported with their index (`required_fields.2`) by zod's enum check; duplicates
 * are dropped (a set, stored as an array).
 */
const requiredFields = z
  .array(z.enum(REQUIRABLE_FIELDS))
  .max(REQUIRABLE_FIELDS.length * 2)
  .transform((v) => [...new Set(v)]);
const allowedRoles = z
  .array(z.enum(ROLES))
  .max(ROLES.length * 2)
  .transform((v) => [...new Set(v)]);

const stageFields = {
  code: stageCode,
  name_vi: text(100),
  name_en: text(100),
  /** Index to insert at (0 = first column); others shift. Default: an open stage goes after the last open one. */
  position: z.number().int().min(0).max(MAX_STAGES),
  default_probability: z.number().int().min(0).max(100),
  category: z.enum(STAGE_CATEGORIES),
  /** won for a won stage; lost or cancelled for a lost stage; null (or omitted) for an open stage. */
  outcome: z.enum(STAGE_OUTCOMES).nullable(),
  required_fields: requiredFields,
  allowed_roles: allowedRoles,
  rotting_days: z.number().int().min(1).max(3650).nullable(),
  /** Column accent on the board, `#rrggbb` (lower-cased); null: the category's colour. */
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1d4ed8')
    .transform((v) => v.toLowerCase())
    .nullable(),
};

export const createStageSchema = z.strictObject({
  ...stageFields,
  position: stageFields.position.optional(),
  outcome: stageFields.outcome.optional(),
  required_fields: stageFields.required_fields.default([]),
  allowed_roles: stageFields.allowed_roles.default([]),
  rotting_days: stageFields.rotting_days.optional(),
  color: stageFields.color.optional(),
});
export type CreateStageInput = z.infer<typeof createStageSchema>;

export const updateStageSchema = z
  .strictObject({ ...stageFields, version: z.number().int().positive() })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateStageInput = z.infer<typeof updateStageSchema>;

/** A stage given inline when a pipeline is created (its position is its index in the list). */
export const inlineStageSchema = createStageSchema.omit({ position: true });
export type InlineStageInput = z.infer<typeof inlineStageSchema>;

/** Moves named by stage code, for a pipeline whose stages are created in the same request. */
const inlineMoveSchema = z.strictObject({ from: stageCode, to: stageCode });

export const createPipelineSchema = z
  .strictObject({
    name: text(100),
    kind: z.enum(PIPELINE_KINDS).default('custom'),
    /** Explicit stages (in board order). Without them, `template` (default: the kind's preset). */
    stages: z.array(inlineStageSchema).min(1).max(MAX_STAGES).optional(),
    template: z.enum(PIPELINE_KINDS).optional(),
    /**
     * Allowed moves: an explicit list by stage code, or "linear" (each open stage to the next and back,
     * every open stage to every closed stage). Default: the template's own moves, or "linear".
     */
    transitions: z.union([z.literal('linear'), z.array(inlineMoveSchema).max(MAX_MOVES)]).optional(),
    is_default: z.boolean().default(false),
    position: z.number().int().min(0).max(10_000).optional(),
    enforce_transitions: z.boolean().default(true),
  })
  .refine((v) => !(v.stages && v.template), {
    message: 'send either stages or template, not both',
    path: ['template'],
  });
export type CreatePipelineInput = z.infer<typeof createPipelineSchema>;

export const updatePipelineSchema = z
  .strictObject({
    name: text(100),
    kind: z.enum(PIPELINE_KINDS),
    is_default: z.boolean(),
    position: z.number().int().min(0).max(10_000),
    enforce_transitions: z.boolean(),
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdatePipelineInput = z.infer<typeof updatePipelineSchema>;

export const reorderStagesSchema = z.strictObject({
  stage_ids: z.array(z.uuid()).min(1).max(MAX_STAGES),
});
export type ReorderStagesInput = z.infer<typeof reorderStagesSchema>;

export const replaceTransitionsSchema = z.strictObject({
  moves: z.array(z.strictObject({ from_stage_id: z.uuid(), to_stage_id: z.uuid() })).max(MAX_MOVES),
});
export type ReplaceTransitionsInput = z.infer<typeof replaceTransitionsSchema>;

export const pipelineIdParamsSchema = z.strictObject({ id: z.uuid() });
export const stageIdParamsSchema = z.strictObject({ id: z.uuid(), stageId: z.uuid() });
export const deleteStageQuerySchema = z.strictObject({ move_deals_to: z.uuid().optional() });

export const PIPELINE_ABILITIES = ['update', 'delete', 'manage_stages'] as const;
export type PipelineAbility = (typeof PIPELINE_ABILITIES)[number];

export const stageResponseSchema = z
  .object({
    id: z.uuid(),
    pipeline_id: z.uuid(),
    code: z.string(),
    name_vi: z.string(),
    name_en: z.string(),
    position: z.number().int(),
    default_probability: z.number().int(),
    category: z.enum(STAGE_CATEGORIES),
    outcome: z.enum(STAGE_OUTCOMES).nullable(),
    required_fields: z.array(z.string()),
    allowed_roles: z.array(z.enum(ROLES)),
    rotting_days: z.number().int().nullable(),
    color: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    version: z.number().int(),
  })
  .meta({ id: 'PipelineStage' });

export const moveResponseSchema = z.object({ from_stage_id: z.uuid(), to_stage_id: z.uuid() });

export const pipelineResponseSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(PIPELINE_KINDS),
    is_default: z.boolean(),
    position: z.number().int(),
    enforce_transitions: z.boolean(),
    /** Live stages in board order. */
    stages: z.array(stageResponseSchema),
    /** Allowed from→to moves (enforced when enforce_transitions is true). */
    transitions: z.array(moveResponseSchema),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    created_by: z.uuid().nullable(),
    updated_by: z.uuid().nullable(),
    version: z.number().int(),
    deleted_at: z.iso.datetime().nullable(),
    abilities: z.array(z.enum(PIPELINE_ABILITIES)),
  })
  .meta({ id: 'Pipeline' });

export const pipelineListResponseSchema = z.object({ data: z.array(pipelineResponseSchema) });
