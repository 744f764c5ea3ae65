import {
  type Announcements,
  type CollisionDetection,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type KeyboardCoordinateGetter,
  KeyboardSensor,
  MouseSensor,
  pointerWithin,
  rectIntersection,
  TouchSensor,
  useDndContext,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Pipeline, PipelineStage } from '../../../../shared/api-client/types.gen.js';
import { ApiError } from '../../../lib/api.js';
import { BlockedMoveDialog } from './BlockedMoveDialog.js';
import { Column } from './Column.js';
import { CardBody, type CardDragData, type CardDropData } from './DealCard.js';
import type { BoardData, BoardStage } from './queries.js';
import type { BoardSync } from './refetch.js';
import { useBoardMoves } from './useBoardMoves.js';

/**
 * The kanban: one droppable column per stage, cards draggable between them (mouse, touch after a short
 * press so a phone can still scroll, keyboard). Drag state stays inside dnd-kit: nothing here re-renders
 * while a card is dragged over the columns; the overlay follows the pointer.
 *
 * Cards are drop targets too: a drop on a card's upper half places the dragged card above it, on its
 * lower half below it — in the same column (a reorder) or another (a move to that place). A drop on a
 * column's free space moves the card to the top of that column (where the server puts a deal that
 * arrives without a place) and does nothing in its own column. The place travels as `after_id`.
 */

/**
 * Arrow left/right jumps to the nearest column in that direction (visual, so it mirrors in RTL); up/down
 * to the next card above/below in the column, landing just past its middle so the drop goes beyond it.
 */
const columnKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  const { collisionRect, droppableRects, droppableContainers } = context;
  if (event.code === 'ArrowUp' || event.code === 'ArrowDown') {
    event.preventDefault();
    if (!collisionRect) return currentCoordinates;
    const x = collisionRect.left + collisionRect.width / 2;
    const y = collisionRect.top + collisionRect.height / 2;
    const down = event.code === 'ArrowDown';
    let best: number | null = null;
    for (const container of droppableContainers.getEnabled()) {
      if (!cardDrop(container.data.current)) continue;
      const rect = droppableRects.get(container.id);
      if (!rect || x < rect.left || x > rect.left + rect.width) continue;
      const dy = rect.top + rect.height / 2 - y;
      if ((down ? dy > 1 : dy < -1) && (best === null || Math.abs(dy) < Math.abs(best))) best = dy;
    }
    return best === null
      ? currentCoordinates
      : { x: currentCoordinates.x, y: currentCoordinates.y + best + (down ? 2 : -2) };
  }
  if (event.code !== 'ArrowLeft' && event.code !== 'ArrowRight') return undefined;
  event.preventDefault();
  if (!collisionRect) return undefined;
  const center = collisionRect.left + collisionRect.width / 2;
  let best: { dx: number; distance: number } | null = null;
  for (const container of droppableContainers.getEnabled()) {
    if (cardDrop(container.data.current)) continue;
    const rect = droppableRects.get(container.id);
    if (!rect) continue;
    const dx = rect.left + rect.width / 2 - center;
    const distance = event.code === 'ArrowRight' ? dx : -dx;
    if (distance > 1 && (!best || distance < best.distance)) best = { dx, distance };
  }
  if (!best) return undefined;
  return { x: currentCoordinates.x + best.dx, y: currentCoordinates.y };
};

/**
 * The card under the pointer, else its column; for the keyboard (no pointer) the card the dragged one
 * overlaps most, else the column.
 */
const collisionDetection: CollisionDetection = (args) => {
  const within = pointerWithin(args);
  const hits = within.length > 0 ? within : rectIntersection(args);
  const cards = hits.filter((h) => cardDrop(h.data?.droppableContainer?.data.current) !== null);
  return cards.length > 0 ? cards : hits;
};

function cardDrop(value: unknown): CardDropData | null {
  if (typeof value !== 'object' || value === null || !('dropCardId' in value)) return null;
  return value as CardDropData;
}

function dragData(value: unknown): CardDragData | null {
  if (typeof value !== 'object' || value === null || !('card' in value) || !('stageId' in value)) return null;
  return value as CardDragData;
}

function dropName(value: unknown): string {
  return typeof value === 'object' && value !== null && 'stageName' in value ? String(value.stageName) : '';
}

export function Board(props: {
  pipelineId: string;
  board: BoardData;
  boardKey: readonly unknown[];
  pipeline: Pipeline | undefined;
  sync: BoardSync;
  stageName: (s: { name_vi: string; name_en: string }) => string;
  ownerNames: ReadonlyMap<string, string>;
  canDrag: boolean;
  canCreate: boolean;
  onNewDeal: (stageId: string) => void;
  onShowMore?: () => void;
}) {
  const { board, stageName } = props;
  const { t } = useTranslation('board');
  const stagesById = useMemo(
    () => new Map<string, PipelineStage>((props.pipeline?.stages ?? []).map((s) => [s.id, s])),
    [props.pipeline],
  );
  const { move, blocked, setBlocked } = useBoardMoves({
    pipelineId: props.pipelineId,
    boardKey: props.boardKey,
    stages: stagesById,
    sync: props.sync,
  });

  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnKeyboardCoordinates }),
  );

  const announcements: Announcements = useMemo(() => {
    const stageNameOf = (stageId: string): string => {
      const stage = board.stages.find((s) => s.id === stageId);
      return stage ? stageName(stage) : '';
    };
    return {
      onDragStart: ({ active }) => {
        const d = dragData(active.data.current);
        const stage = board.stages.find((s) => s.id === d?.stageId);
        return t('dnd.pickedUp', { name: d?.name ?? '', stage: stage ? stageName(stage) : '' });
      },
      onDragOver: ({ active, over }) => {
        const name = dragData(active.data.current)?.name ?? '';
        if (!over) return t('dnd.notOver', { name });
        const card = cardDrop(over.data.current);
        return card
          ? t('dnd.overCard', { name, card: card.name, stage: stageNameOf(card.stageId) })
          : t('dnd.over', { name, stage: dropName(over.data.current) });
      },
      onDragEnd: ({ active, over }) => {
        const name = dragData(active.data.current)?.name ?? '';
        if (!over) return t('dnd.returned', { name });
        const card = cardDrop(over.data.current);
        return card
          ? t('dnd.droppedCard', { name, card: card.name, stage: stageNameOf(card.stageId) })
          : t('dnd.dropped', { name, stage: dropName(over.data.current) });
      },
      onDragCancel: ({ active }) => t('dnd.cancelled', { name: dragData(active.data.current)?.name ?? '' }),
    };
  }, [t, board.stages, stageName]);

  const onDragEnd = useCallback(
    ({ active, over }: DragEndEvent) => {
      const d = dragData(active.data.current);
      if (!over || !d) return;
      const dealId = String(active.id);
      const onCard = cardDrop(over.data.current);
      let req: { dealId: string; toStageId: string; index?: number };
      if (onCard) {
        if (onCard.dropCardId === dealId) return;
        const others =
          board.stages.find((s) => s.id === onCard.stageId)?.deals.filter((c) => c.id !== dealId) ?? [];
        const at = others.findIndex((c) => c.id === onCard.dropCardId);
        if (at === -1) return;
        const dragged = active.rect.current.translated;
        const below =
          dragged !== null && dragged.top + dragged.height / 2 > over.rect.top + over.rect.height / 2;
        req = { dealId, toStageId: onCard.stageId, index: below ? at + 1 : at };
      } else {
        if (d.stageId === String(over.id)) return;
        req = { dealId, toStageId: String(over.id) };
      }
      // Failures are answered by the move itself (rollback, dialog or toast).
      move(req).catch(() => undefined);
    },
    [move, board.stages],
  );

  const blockedStage = blocked ? board.stages.find((s) => s.id === blocked.toStageId) : undefined;

  return (
    <>
      <DndContext
        sensors={sensors}
        collisionDetection={collisionDetection}
        onDragEnd={onDragEnd}
        accessibility={{ announcements, screenReaderInstructions: { draggable: t('dnd.instructions') } }}
      >
        <div className="board-columns">
          {board.stages.map((stage: BoardStage) => (
            <Column
              key={stage.id}
              stage={stage}
              name={stageName(stage)}
              canDrag={props.canDrag}
              canCreate={props.canCreate}
              ownerNames={props.ownerNames}
              onNewDeal={props.onNewDeal}
              {...(props.onShowMore ? { onShowMore: props.onShowMore } : {})}
            />
          ))}
        </div>
        <CardOverlay ownerNames={props.ownerNames} />
      </DndContext>
      {blocked && (
        <BlockedMoveDialog
          key={`${blocked.dealId}-${blocked.toStageId}-${blocked.unmet.length}`}
          open
          card={blocked.card}
          stageName={blockedStage ? stageName(blockedStage) : ''}
          unmet={blocked.unmet}
          onClose={() => setBlocked(null)}
          onRetry={async (answer) => {
            try {
              await move({
                dealId: blocked.dealId,
                toStageId: blocked.toStageId,
                ...(blocked.index !== undefined ? { index: blocked.index } : {}),
                ...(answer.lostReason ? { lostReason: answer.lostReason } : {}),
                fields: answer.fields,
              });
              setBlocked(null);
            } catch (error) {
              // Still blocked: the move opened the dialog again with the new list. A field error of
              // these values: the dialog shows it. Anything else (a conflict): the move toasted it.
              const keep =
                error instanceof ApiError &&
                (error.code === 'validation_failed' || error.code === 'stage_transition_blocked');
              if (!keep) setBlocked(null);
              throw error;
            }
          }}
        />
      )}
    </>
  );
}

/** The card under the pointer while dragging (the original stays in place, dimmed). */
function CardOverlay(props: { ownerNames: ReadonlyMap<string, string> }) {
  const { active } = useDndContext();
  const d = dragData(active?.data.current);
  return (
    <DragOverlay dropAnimation={null}>
      {d ? (
        <div className="deal-card is-overlay">
          <CardBody
            card={d.card}
            ownerName={d.card.owner_id ? (props.ownerNames.get(d.card.owner_id) ?? null) : null}
          />
        </div>
      ) : null}
    </DragOverlay>
  );
}
