import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { useMe } from '../../../app/session.js';
import { type RealtimeEvent, useRoom } from '../../../lib/realtime.js';
import { type BoardData, cardFromDeal, editBoards, findCard, placeCard, rankIndex } from './queries.js';
import type { BoardSync } from './refetch.js';
import { useRemoteHighlight } from './remote.js';

/**
 * The live board: room `pipeline:<id>` (docs/api.md "Real time"). A deal event carries the deal as it
 * now is, so the card is patched in the cache at once from the event (no request per event), then the
 * board is refetched, debounced, for what only the server knows (totals in the base currency, account
 * names, whether the deal still matches the filters). Our own move's echo is ignored: it is in flight
 * (pending) or the card already has the event's version. A `hidden` event (the deal became restricted
 * for this viewer) or a deletion drops the card. After a gap the server cannot replay → `resync` → refetch.
 */

const eventDealSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  account_id: z.string().nullable(),
  amount_minor: z.number().int().nullable(),
  currency: z.enum(['VND', 'USD']),
  probability: z.number(),
  owner_id: z.string().nullable(),
  pipeline_id: z.string(),
  stage_id: z.string(),
  stage_entered_at: z.string(),
  stage_rank: z.string().optional(),
  expected_close_date: z.string().nullable(),
  status: z.enum(['open', 'won', 'lost', 'cancelled']),
  acl_mode: z.enum(['default', 'restricted']),
  version: z.number().int(),
  deleted_at: z.string().nullable().optional(),
});
const eventDataSchema = z.looseObject({
  hidden: z.literal(true).optional(),
  deal: eventDealSchema.optional(),
});

export function useBoardRealtime(opts: {
  pipelineId: string | null;
  boardKey: readonly unknown[];
  sync: BoardSync;
}): void {
  const { pipelineId, boardKey, sync } = opts;
  const qc = useQueryClient();
  const me = useMe();
  const mark = useRemoteHighlight((s) => s.mark);

  const onEvent = (e: RealtimeEvent) => {
    if (!pipelineId) return;
    const mine = e.actor.id === me.user?.id;
    if (mine && sync.pending.has(e.dealId)) return;
    const board = qc.getQueryData<BoardData>(boardKey);
    const known = board ? findCard(board, e.dealId) : null;
    if (known && e.version !== undefined && known.card.version >= e.version) return;

    const parsed = eventDataSchema.safeParse(e.data);
    const deal = parsed.success ? parsed.data.deal : undefined;
    const gone =
      !parsed.success ||
      parsed.data.hidden === true ||
      e.type === 'deal.deleted' ||
      !deal ||
      Boolean(deal.deleted_at) ||
      deal.pipeline_id !== pipelineId;
    if (gone) {
      editBoards(qc, pipelineId, (b) => placeCard(b, e.dealId, null));
    } else {
      editBoards(qc, pipelineId, (b) => {
        const at = findCard(b, deal.id);
        if (!b.stages.some((s) => s.id === deal.stage_id)) return placeCard(b, deal.id, null);
        const card = cardFromDeal(deal, at?.card ?? null, b);
        const index =
          deal.stage_rank !== undefined
            ? rankIndex(b, deal.stage_id, deal.id, deal.stage_rank)
            : at && at.stageId === deal.stage_id
              ? at.index
              : 0;
        return placeCard(b, deal.id, { stageId: deal.stage_id, index, card });
      });
      mark(deal.id);
    }
    void qc.invalidateQueries({ queryKey: ['deal', e.dealId], refetchType: 'none' });
    sync.request();
  };

  const onResync = () => sync.request(0);

  useRoom(pipelineId ? `pipeline:${pipelineId}` : null, onEvent, onResync);
}
