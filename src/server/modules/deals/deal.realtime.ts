import { z } from 'zod';
import { ROLES } from '../../../shared/auth.js';
import type { AppPlatform } from '../../db.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type { RealtimeHub } from '../../platform/realtime/hub.js';
import { findPipeline } from '../pipelines/pipeline.repository.js';
import { DEAL_EVENTS } from './deal.events.js';
import { canSeeDeal } from './deal.visibility.js';

/**
 * Live pipeline boards: room `pipeline:<pipelineId>`. A non-durable bus subscriber on `deal.*` (so
 * every process sees every event, and the event reaches sockets only once the relay published the
 * committed outbox row, never from the writing request) publishes each deal event to the rooms of the
 * pipelines it touches; each member receives it only if `canSeeDeal` (the one ACL rule) lets them see
 * the deal after the change. Someone who could see it before but not after (it became restricted, or
 * they were removed from its allow list) receives the event with `data: { hidden: true }`, so their
 * board drops the card instead of keeping a stale one.
 */

export const PIPELINE_ROOM = 'pipeline';

const aclFields = {
  acl_mode: z.enum(['default', 'restricted']),
  owner_id: z.string().nullable(),
  acl_member_ids: z.array(z.string()),
  acl_roles: z.array(z.enum(ROLES)),
};
const aclSchema = z.object(aclFields);
type Acl = z.infer<typeof aclSchema>;

/** What the fan-out needs of a deal event's data; the rest travels as it is. */
const dealEventDataSchema = z.looseObject({
  deal: z.looseObject({
    id: z.string(),
    pipeline_id: z.string(),
    stage_id: z.string(),
    version: z.number().int(),
    ...aclFields,
  }),
  change: z.looseObject({ from_pipeline_id: z.string().optional() }).optional(),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).optional(),
});

/** The `event` member of an `event` frame (docs/api.md "Real time"). */
export interface DealRealtimeEvent {
  id: string;
  type: string;
  occurredAt: string;
  dealId: string;
  pipelineId: string;
  stageId?: string;
  version?: number;
  actor: { type: string; id: string };
  data: unknown;
}

interface DealItem {
  /** ACL of the deal after the change. */
  acl: Acl;
  /** ACL before, when the change altered it (a viewer may have just lost sight of the deal). */
  aclBefore: Acl | null;
  full: DealRealtimeEvent;
  hidden: DealRealtimeEvent;
}

const ACL_KEYS = Object.keys(aclFields) as Array<keyof Acl>;

function aclBefore(after: Acl, changes: Record<string, { from: unknown }> | undefined): Acl | null {
  if (!changes || !ACL_KEYS.some((k) => k in changes)) return null;
  const before: Record<string, unknown> = { ...after };
  for (const k of ACL_KEYS) if (changes[k]) before[k] = changes[k].from;
  const parsed = aclSchema.safeParse(before);
  return parsed.success ? parsed.data : null;
}

/** The item for the rooms, and the pipelines it goes to (both ends of a move between pipelines). */
export function dealRealtimeItem(event: EventEnvelope): { item: DealItem; pipelineIds: string[] } | null {
  const parsed = dealEventDataSchema.safeParse(event.data);
  if (!parsed.success) return null;
  const { deal, change, changes } = parsed.data;
  const acl: Acl = {
    acl_mode: deal.acl_mode,
    owner_id: deal.owner_id,
    acl_member_ids: deal.acl_member_ids,
    acl_roles: deal.acl_roles,
  };
  const fromPipeline = change?.from_pipeline_id ?? changes?.pipeline_id?.from;
  const pipelineIds = [deal.pipeline_id];
  if (typeof fromPipeline === 'string' && fromPipeline !== deal.pipeline_id) pipelineIds.push(fromPipeline);
  const head = {
    id: event.id,
    type: event.type,
    occurredAt: event.occurred_at,
    dealId: deal.id,
    pipelineId: deal.pipeline_id,
    actor: { type: event.actor.type, id: event.actor.id },
  };
  return {
    item: {
      acl,
      aclBefore: aclBefore(acl, changes),
      full: { ...head, stageId: deal.stage_id, version: deal.version, data: event.data },
      hidden: { ...head, data: { hidden: true } },
    },
    pipelineIds,
  };
}

export function presentDealEvent(actor: Actor, item: DealItem): DealRealtimeEvent | null {
  if (canSeeDeal(actor, item.acl)) return item.full;
  if (item.aclBefore && canSeeDeal(actor, item.aclBefore)) return item.hidden;
  return null;
}

const DEAL_TYPES = new Set<string>(Object.values(DEAL_EVENTS));

/**
 * Defines the pipeline room on the hub and subscribes the fan-out to the bus. Returns the unsubscribe.
 * Joining checks `crm.deal.view` and that the pipeline is one of the member's workspace (another
 * workspace's id answers pipeline_not_found, like REST).
 */
export function wireDealRealtime(p: AppPlatform, hub: RealtimeHub): () => void {
  const rooms = hub.defineRoom<DealItem>({
    kind: PIPELINE_ROOM,
    async authorize(actor, id) {
      requirePermission(actor, 'crm.deal.view');
      const pipeline = z.uuid().safeParse(id).success
        ? await p.db.read(actor.workspaceId, (db) => findPipeline(db, actor.workspaceId, id))
        : undefined;
      if (!pipeline || pipeline.deleted_at) throw new AppError('pipeline_not_found', 'No such pipeline');
    },
    present: presentDealEvent,
  });
  return p.bus.subscribe('deal.*', (event) => {
    // deal.* also matches events other modules may add later; only the deal module's own are cards.
    if (!DEAL_TYPES.has(event.type)) return;
    const built = dealRealtimeItem(event);
    if (!built) {
      p.log.warn({ eventId: event.id, type: event.type }, 'deal event without the fields the board needs');
      return;
    }
    rooms.publish(event.workspace_id, built.pipelineIds, built.item);
  });
}
