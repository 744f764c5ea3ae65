import { useDroppable } from '@dnd-kit/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { DraggableCard } from './DealCard.js';
import { MoneyTotalView } from './MoneyTotalView.js';
import type { BoardCard, BoardStage } from './queries.js';

/** Above this many cards a column renders only the cards in view (1,000 cards stay smooth). */
export const VIRTUALIZE_ABOVE = 50;
const ESTIMATED_CARD_PX = 112;

export interface StageDropData {
  stageName: string;
}

/**
 * One stage: header (name in the UI language, count, total, weighted total), its cards, and the drop
 * target. The droppable wrapper re-renders when the drag moves over or out of it; the header and the
 * card list are memoized on the stage's data, so they do not.
 */
export const Column = memo(function Column(props: {
  stage: BoardStage;
  name: string;
  canDrag: boolean;
  canCreate: boolean;
  ownerNames: ReadonlyMap<string, string>;
  onNewDeal: (stageId: string) => void;
  onShowMore?: () => void;
}) {
  const { stage, name } = props;
  const { t } = useTranslation('board');
  const headingId = useId();
  const data: StageDropData = { stageName: name };
  const { setNodeRef, isOver } = useDroppable({ id: stage.id, data });
  return (
    <section
      ref={setNodeRef}
      className={isOver ? 'board-column is-over' : 'board-column'}
      data-testid={`column-${stage.code}`}
      data-stage-id={stage.id}
      data-category={stage.category}
      aria-labelledby={headingId}
    >
      <ColumnHeader
        stage={stage}
        name={name}
        headingId={headingId}
        canCreate={props.canCreate}
        onNewDeal={props.onNewDeal}
      />
      <ColumnCards
        deals={stage.deals}
        stageId={stage.id}
        canDrag={props.canDrag}
        ownerNames={props.ownerNames}
      />
      {stage.deals.length === 0 && <p className="board-column-empty muted small">{t('column.empty')}</p>}
      {stage.has_more && (
        <div className="board-column-more small">
          <span className="muted">{t('column.notShown', { count: stage.count - stage.deals.length })}</span>
          {props.onShowMore && (
            <button type="button" className="btn btn-ghost small" onClick={props.onShowMore}>
              {t('column.showAll')}
            </button>
          )}
        </div>
      )}
    </section>
  );
});

const ColumnHeader = memo(function ColumnHeader(props: {
  stage: BoardStage;
  name: string;
  headingId: string;
  canCreate: boolean;
  onNewDeal: (stageId: string) => void;
}) {
  const { stage, name } = props;
  const { t } = useTranslation('board');
  return (
    <header
      className={`board-column-header category-${stage.category}`}
      style={stage.color ? { borderBlockStartColor: stage.color } : undefined}
    >
      <div className="board-column-title">
        <h2 id={props.headingId}>{name}</h2>
        <span className="badge" title={t('column.countTitle', { count: stage.count })}>
          <span aria-hidden="true">{stage.count}</span>
          <span className="sr-only">{t('column.countTitle', { count: stage.count })}</span>
        </span>
        {props.canCreate && stage.category === 'open' && (
          <button
            type="button"
            className="icon-btn board-column-add"
            aria-label={t('column.newDeal', { stage: name })}
            title={t('column.newDeal', { stage: name })}
            onClick={() => props.onNewDeal(stage.id)}
          >
            +
          </button>
        )}
      </div>
      <div className="board-column-totals small">
        <MoneyTotalView total={stage.total} label={t('column.total')} />
        <MoneyTotalView total={stage.weighted_total} label={t('column.weighted')} />
      </div>
    </header>
  );
});

interface CardsProps {
  deals: BoardCard[];
  stageId: string;
  canDrag: boolean;
  ownerNames: ReadonlyMap<string, string>;
}

const ColumnCards = memo(function ColumnCards(props: CardsProps) {
  if (props.deals.length > VIRTUALIZE_ABOVE) return <VirtualCards {...props} />;
  return (
    <div className="board-column-scroll">
      <ul className="board-cards">
        {props.deals.map((card) => (
          <li key={card.id}>
            <DraggableCard
              card={card}
              stageId={props.stageId}
              canDrag={props.canDrag}
              ownerName={card.owner_id ? (props.ownerNames.get(card.owner_id) ?? null) : null}
            />
          </li>
        ))}
      </ul>
    </div>
  );
});

function VirtualCards(props: CardsProps) {
  const { deals } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: deals.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_CARD_PX,
    getItemKey: (i) => deals[i]?.id ?? i,
    overscan: 6,
  });
  return (
    <div className="board-column-scroll" ref={scrollRef}>
      <ul className="board-cards is-virtual" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const card = deals[item.index];
          if (!card) return null;
          return (
            <li
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <DraggableCard
                card={card}
                stageId={props.stageId}
                canDrag={props.canDrag}
                ownerName={card.owner_id ? (props.ownerNames.get(card.owner_id) ?? null) : null}
              />
            </li>
          );
        })}
      </ul>
    </div>
  );
}
