import { useDraggable, useDroppable } from '@dnd-kit/core';
import { type KeyboardEventHandler, memo, useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { initials } from '../../../app/Shell.js';
import { useFormat } from '../../../lib/format.js';
import type { BoardCard } from './queries.js';
import { useIsRemoteUpdated } from './remote.js';

/**
 * One deal on the board. The visible body is memoized on the card object (the cache keeps a card's
 * identity until that deal changes), so a drag, a move or a live event elsewhere does not re-render it.
 * The draggable wrapper is the part dnd-kit re-renders during a drag: a few props, no formatting.
 *
 * Pointer: press anywhere on the card and drag. Keyboard: the handle button (Space to pick up, arrows
 * left/right between stages and up/down within the column, Space to drop, Escape to cancel); the deal
 * name stays an ordinary link, so the card has no nested interactive roles. Each card is also a drop
 * target (`CardDropData`): dropping on its upper half places the dragged card above it, lower half below.
 */

export interface CardDragData {
  card: BoardCard;
  stageId: string;
  name: string;
}

/** A card as a drop target: id `drop:<deal id>`. */
export interface CardDropData {
  dropCardId: string;
  stageId: string;
  name: string;
}

export const CardBody = memo(function CardBody(props: { card: BoardCard; ownerName: string | null }) {
  const { card, ownerName } = props;
  const { t } = useTranslation('board');
  const fmt = useFormat();
  const owner = ownerName ?? t('card.unassigned');
  return (
    <div className="deal-card-body">
      <Link to={`/deals/${card.id}`} className="deal-card-name" draggable={false}>
        {card.name}
      </Link>
      {card.account && <div className="deal-card-account muted small">{card.account.name}</div>}
      <div className="deal-card-money">
        <strong>{fmt.money(card.amount_minor, card.currency)}</strong>
        <span className="muted small" title={t('card.probability')}>
          {fmt.number(card.probability)}%
        </span>
      </div>
      <div className="deal-card-meta">
        <span
          className="avatar deal-card-avatar"
          role="img"
          aria-label={t('card.owner', { name: owner })}
          title={owner}
        >
          {ownerName ? initials(ownerName) : '–'}
        </span>
        <span className="muted small" title={t('card.ageTitle', { count: card.age_in_stage_days })}>
          {t('card.age', { count: card.age_in_stage_days })}
        </span>
        {card.status !== 'open' && (
          <span className={card.status === 'won' ? 'badge badge-success' : 'badge'}>
            {card.status === 'won'
              ? t('status.won')
              : card.status === 'lost'
                ? t('status.lost')
                : t('status.cancelled')}
          </span>
        )}
        {card.markers.includes('hot') && <span className="badge badge-hot">{t('marker.hot')}</span>}
        {card.markers.includes('overdue') && (
          <span className="badge badge-overdue">{t('marker.overdue')}</span>
        )}
        {card.markers.includes('stalled') && (
          <span className="badge badge-stalled">{t('marker.stalled')}</span>
        )}
        {card.acl_mode === 'restricted' && (
          <span className="badge" title={t('card.restrictedTitle')}>
            {t('card.restricted')}
          </span>
        )}
      </div>
    </div>
  );
});

export const DraggableCard = memo(function DraggableCard(props: {
  card: BoardCard;
  stageId: string;
  ownerName: string | null;
  canDrag: boolean;
}) {
  const { card, stageId, ownerName, canDrag } = props;
  const { t } = useTranslation('board');
  const remote = useIsRemoteUpdated(card.id);
  const data: CardDragData = { card, stageId, name: card.name };
  const { setNodeRef, setActivatorNodeRef, listeners, attributes, isDragging } = useDraggable({
    id: card.id,
    data,
    disabled: !canDrag,
  });
  const drop: CardDropData = { dropCardId: card.id, stageId, name: card.name };
  const { setNodeRef: setDropRef } = useDroppable({ id: `drop:${card.id}`, data: drop, disabled: !canDrag });
  const ref = useCallback(
    (node: HTMLDivElement | null) => {
      setNodeRef(node);
      setDropRef(node);
    },
    [setNodeRef, setDropRef],
  );
  // Pointer and touch start anywhere on the card; keys only on the handle (Enter on the link must
  // follow the link, not pick the card up).
  const { onKeyDown, ...pointer } = listeners ?? {};
  const keys = onKeyDown ? { onKeyDown: onKeyDown as KeyboardEventHandler<HTMLButtonElement> } : {};
  const className = ['deal-card', isDragging ? 'is-dragging' : '', remote ? 'is-remote' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div
      ref={ref}
      className={className}
      data-testid="deal-card"
      data-deal-id={card.id}
      data-deal-name={card.name}
      {...pointer}
    >
      <CardBody card={card} ownerName={ownerName} />
      {canDrag && (
        <button
          type="button"
          ref={setActivatorNodeRef}
          className="deal-card-handle"
          {...attributes}
          {...keys}
          aria-label={t('card.move', { name: card.name })}
        >
          <span aria-hidden="true">⠿</span>
        </button>
      )}
      {remote && (
        <span className="deal-card-remote" data-testid="card-remote-updated">
          {t('card.remoteUpdated')}
        </span>
      )}
    </div>
  );
});
