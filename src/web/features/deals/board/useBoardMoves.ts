import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { postCrmV1DealsByIdMove } from '../../../../shared/api-client/sdk.gen.js';
import type { PipelineStage, PostCrmV1DealsByIdMoveData } from '../../../../shared/api-client/types.gen.js';
import { can, useMe } from '../../../app/session.js';
import { ApiError, call } from '../../../lib/api.js';
import { toast } from '../../../ui/toast.js';
import {
  afterIdAt,
  type BoardCard,
  type BoardData,
  type CardLocation,
  cardFromDeal,
  editBoards,
  findCard,
  placeCard,
  rankIndex,
} from './queries.js';
import type { BoardSync } from './refetch.js';

/**
 * Moving a card: optimistic (the cache changes at once: the card goes where it was dropped — `index`
 * among the column's other cards, sent as `after_id` — or to the top of its new column, where the server
 * puts a deal arriving without a place), confirmed by POST /deals/{id}/move with
 * the card's version, then replaced by the server's deal; rolled back on failure with the reason:
 * 409 version_conflict → a toast and a refetch (someone moved or edited it first); 422
 * stage_transition_blocked → the blocked-move dialog with every unmet rule, whose answer retries the
 * move with the missing `fields` (and `lost_reason`). A won/lost stage is entered through the same
 * endpoint (the server applies the outcome; it needs crm.deal.close, and lost needs a reason, asked
 * before the first request).
 */

export type MoveFields = NonNullable<PostCrmV1DealsByIdMoveData['body']['fields']>;

export interface MoveRequest {
  dealId: string;
  toStageId: string;
  /** Where it was dropped among the target column's other cards; absent: the top of a new column. */
  index?: number;
  lostReason?: string;
  fields?: MoveFields;
}

/** One rule the server says stands in the way (`unmet`), or a field error (`errors`) shown the same way. */
export interface UnmetRule {
  rule: string;
  /** A deal field (`amount`, `lost_reason`, `primary_contact_id`…) when the rule is about one. */
  field?: string;
  message: string;
}

export interface BlockedMove {
  dealId: string;
  card: BoardCard;
  toStageId: string;
  /** Where the card was dropped, kept for the retry. */
  index?: number;
  unmet: UnmetRule[];
}

const unmetSchema = z.array(
  z.looseObject({ rule: z.string(), field: z.string().optional(), message: z.string().default('') }),
);
const problemSchema = z.looseObject({
  unmet: unmetSchema.optional(),
  errors: z.array(z.looseObject({ field: z.string(), code: z.string(), message: z.string() })).optional(),
});

/** `fields.amount_minor` (a field error's path) and `amount` (a rule's field) name the same thing. */
export function normalizeField(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const bare = field.startsWith('fields.') ? field.slice('fields.'.length) : field;
  return bare === 'amount_minor' ? 'amount' : bare;
}

export function unmetRules(error: ApiError): UnmetRule[] {
  const parsed = problemSchema.safeParse(error.problem ?? {});
  if (!parsed.success) return [];
  const fromUnmet = (parsed.data.unmet ?? []).map((u) => ({
    rule: u.rule,
    message: u.message,
    ...(u.field ? { field: normalizeField(u.field) } : {}),
  }));
  const fromErrors = (parsed.data.errors ?? []).map((e) => ({
    rule: e.code,
    field: normalizeField(e.field),
    message: e.message,
  }));
  return [...fromUnmet, ...fromErrors];
}

interface MoveContext {
  from: CardLocation;
}

export function useBoardMoves(opts: {
  pipelineId: string;
  boardKey: readonly unknown[];
  stages: ReadonlyMap<string, PipelineStage>;
  sync: BoardSync;
}) {
  const { pipelineId, boardKey, stages, sync } = opts;
  const { t } = useTranslation('board');
  const qc = useQueryClient();
  const me = useMe();
  const [blocked, setBlocked] = useState<BlockedMove | null>(null);
  // The latest options for the mutation callbacks, which TanStack keeps from the first render.
  const latest = useRef({ boardKey, stages });
  latest.current = { boardKey, stages };

  const mutation = useMutation({
    mutationKey: ['move-deal', pipelineId],
    // Errors are answered here (dialog, conflict toast); the global handler would toast them twice.
    meta: { silent: true },
    mutationFn: (req: MoveRequest & { version: number; afterId?: string | null }) =>
      call(
        postCrmV1DealsByIdMove({
          path: { id: req.dealId },
          body: {
            stage_id: req.toStageId,
            version: req.version,
            ...(req.lostReason ? { lost_reason: req.lostReason } : {}),
            ...(req.fields && Object.keys(req.fields).length > 0 ? { fields: req.fields } : {}),
            ...(req.afterId !== undefined ? { after_id: req.afterId } : {}),
          },
        }),
      ),
    onMutate: async (req): Promise<MoveContext | undefined> => {
      const board = qc.getQueryData<BoardData>(latest.current.boardKey);
      const from = board ? findCard(board, req.dealId) : null;
      if (!from) return undefined;
      sync.moveStarted(req.dealId, req.version);
      // A board read in flight was taken before this move: drop it, the sync refetches afterwards.
      await qc.cancelQueries({ queryKey: ['board', pipelineId] });
      const moved: BoardCard = {
        ...from.card,
        age_in_stage_days: 0,
        markers: from.card.markers.filter((m) => m !== 'stalled'),
      };
      editBoards(qc, pipelineId, (b) =>
        placeCard(b, req.dealId, { stageId: req.toStageId, index: req.index ?? 0, card: moved }),
      );
      return { from };
    },
    onSuccess: (deal, req) => {
      editBoards(qc, pipelineId, (b) => {
        const at = findCard(b, req.dealId);
        const card = cardFromDeal(deal, at?.card ?? null, b);
        const index = rankIndex(b, deal.stage_id, deal.id, deal.stage_rank);
        return placeCard(b, req.dealId, { stageId: deal.stage_id, index, card });
      });
      qc.setQueryData(['deal', deal.id], deal);
      void qc.invalidateQueries({ queryKey: ['deals'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      void qc.invalidateQueries({ queryKey: ['timeline', 'deal', deal.id] });
    },
    onError: (error, req, context) => {
      if (context) {
        const { from } = context;
        editBoards(qc, pipelineId, (b) =>
          placeCard(b, req.dealId, { stageId: from.stageId, index: from.index, card: from.card }),
        );
      }
      if (error instanceof ApiError && error.code === 'version_conflict') {
        toast.info(t('move.conflict'));
        sync.request(0);
      } else if (error instanceof ApiError && error.code === 'stage_transition_blocked' && context) {
        setBlocked({
          dealId: req.dealId,
          card: context.from.card,
          toStageId: req.toStageId,
          ...(req.index !== undefined ? { index: req.index } : {}),
          unmet: unmetRules(error),
        });
      } else if (!(error instanceof ApiError && error.code === 'validation_failed' && req.fields)) {
        // A validation error of the dialog's own values is shown in the dialog (it awaits the retry).
        toast.error(error);
      }
    },
    onSettled: (_d, _e, req) => sync.moveSettled(req.dealId),
  });

  const { mutateAsync } = mutation;

  /** Starts a move; resolves when the server has answered (rejects with its error). */
  const move = useCallback(
    async (req: MoveRequest): Promise<void> => {
      const board = qc.getQueryData<BoardData>(latest.current.boardKey);
      const at = board ? findCard(board, req.dealId) : null;
      if (!board || !at) return;
      const sameStage = at.stageId === req.toStageId;
      // Within a column only a new place is a change; into another column, no place means the top.
      if (sameStage && (req.index === undefined || req.index === at.index)) return;
      const afterId =
        req.index === undefined ? undefined : afterIdAt(board, req.toStageId, req.dealId, req.index);
      const target = latest.current.stages.get(req.toStageId);
      // A reorder within a closed column is not a close: it needs neither crm.deal.close nor a reason.
      if (!sameStage && target?.outcome && !can(me, 'crm.deal.close')) {
        toast.info(t('move.needsClose'));
        return;
      }
      // Losing a deal always needs a reason (the server's rule): ask before the request, not after.
      if (!sameStage && target?.outcome === 'lost' && !req.lostReason && !req.fields?.lost_reason) {
        setBlocked({
          dealId: req.dealId,
          card: at.card,
          toStageId: req.toStageId,
          ...(req.index !== undefined ? { index: req.index } : {}),
          unmet: [{ rule: 'field_required', field: 'lost_reason', message: '' }],
        });
        return;
      }
      await mutateAsync({
        ...req,
        version: at.card.version,
        ...(afterId !== undefined ? { afterId } : {}),
      });
    },
    [mutateAsync, me, t, qc],
  );

  return { move, blocked, setBlocked };
}
