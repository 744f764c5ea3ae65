import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';

export const listAuditQuerySchema = z.strictObject({
  entity_type: z.string().trim().min(1).max(64).optional(),
  entity_id: z.string().trim().min(1).max(128).optional(),
  actor_id: z.uuid().optional(),
  action: z.string().trim().min(1).max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
  cursor: z.string().max(256).optional(),
});
export type ListAuditQuery = z.infer<typeof listAuditQuerySchema>;

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  id: z.uuid(),
  occurred_at: z.iso.datetime(),
  actor: z.object({
    type: z.enum(['user', 'api_key', 'system']),
    id: z.uuid().nullable(),
    label: z.string(),
  }),
  action: z.string(),
  entity_type: z.string(),
  entity_id: z.string(),
  diff: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
  request_id: z.string().nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});

export const auditListResponseSchema = z.object({
  data: z.array(auditEntrySchema),
  page: z.object({ limit: z.number().int(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
});

export const verifyResponseSchema = z.object({
  workspace_id: z.uuid(),
  rows: z.number().int(),
  ok: z.boolean(),
  broken_at: z
    .object({
      seq: z.number().int(),
      reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap', 'head_mismatch']),
    })
    .optional(),
});
