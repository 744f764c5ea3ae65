import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  arrayMove,
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  deleteCrmV1PipelinesByIdStagesByStageId,
  postCrmV1PipelinesByIdStagesReorder,
} from '../../../shared/api-client/sdk.gen.js';
import type { Pipeline, PipelineStage } from '../../../shared/api-client/types.gen.js';
import { ApiError, call } from '../../lib/api.js';
import { SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { usePipelineSaved, useStageName } from './pipelineShared.js';
import { StageDialog } from './StageDialog.js';

/**
 * The stages of a pipeline in board order. Reorder by dragging the handle (pointer, or keyboard: focus
 * the handle, Space, arrows, Space) or with the move up/down buttons; both send the whole new order.
 * The list shows the new order at once and goes back to the server's if the reorder is refused.
 */
export function StageList(props: { pipeline: Pipeline; readOnly: boolean }) {
  const { t } = useTranslation('settings');
  const { pipeline, readOnly } = props;
  const qc = useQueryClient();
  const saved = usePipelineSaved();
  const name = useStageName();
  const [pendingOrder, setPendingOrder] = useState<string[] | null>(null);
  const [editing, setEditing] = useState<PipelineStage | 'new' | null>(null);
  const [deleting, setDeleting] = useState<PipelineStage | null>(null);

  const byId = new Map(pipeline.stages.map((s) => [s.id, s]));
  const serverOrder = [...pipeline.stages].sort((a, b) => a.position - b.position).map((s) => s.id);
  const order = (pendingOrder ?? serverOrder).filter((id) => byId.has(id));
  const stages = order.map((id) => byId.get(id) as PipelineStage);

  const reorder = useMutation({
    mutationFn: (stageIds: string[]) =>
      call(postCrmV1PipelinesByIdStagesReorder({ path: { id: pipeline.id }, body: { stage_ids: stageIds } })),
    onSuccess: (p) => {
      saved(p);
      toast.success(t('stages.reordered'));
    },
    onSettled: () => setPendingOrder(null),
    onError: () => void qc.invalidateQueries({ queryKey: ['pipelines'] }),
  });

  const move = (from: number, to: number) => {
    if (to < 0 || to >= order.length || from === to) return;
    const next = arrayMove(order, from, to);
    setPendingOrder(next);
    reorder.mutate(next);
  };

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over || e.active.id === e.over.id) return;
    move(order.indexOf(String(e.active.id)), order.indexOf(String(e.over.id)));
  };

  return (
    <section className="stack" aria-labelledby={`stages-${pipeline.id}`}>
      <div className="row">
        <h3 id={`stages-${pipeline.id}`}>{t('stages.title')}</h3>
        <span className="spacer" />
        {!readOnly && (
          <button type="button" className="btn" onClick={() => setEditing('new')}>
            {t('stages.add')}
          </button>
        )}
      </div>
      {!readOnly && <p className="muted small">{t('stages.dragHint')}</p>}
      <DndContext
        sensors={sensors}
        collisionDetection={closestCenter}
        onDragEnd={onDragEnd}
        accessibility={{
          screenReaderInstructions: { draggable: t('stages.dragInstructions') },
          announcements: {
            onDragStart: ({ active }) => t('stages.announce.start', { name: label(active.id) }),
            onDragOver: ({ active, over }) =>
              t('stages.announce.over', {
                name: label(active.id),
                position: over ? order.indexOf(String(over.id)) + 1 : 0,
              }),
            onDragEnd: ({ active, over }) =>
              t('stages.announce.end', {
                name: label(active.id),
                position: over ? order.indexOf(String(over.id)) + 1 : 0,
              }),
            onDragCancel: ({ active }) => t('stages.announce.cancel', { name: label(active.id) }),
          },
        }}
      >
        <SortableContext items={order} strategy={verticalListSortingStrategy}>
          <ol className="stage-list">
            {stages.map((s, i) => (
              <StageRow
                key={s.id}
                stage={s}
                index={i}
                last={i === stages.length - 1}
                readOnly={readOnly || reorder.isPending}
                onMove={(to) => move(i, to)}
                onEdit={() => setEditing(s)}
                onDelete={() => setDeleting(s)}
              />
            ))}
          </ol>
        </SortableContext>
      </DndContext>
      {editing && (
        <StageDialog
          open
          pipeline={pipeline}
          stage={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <DeleteStageDialog
          pipeline={pipeline}
          stage={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={saved}
        />
      )}
    </section>
  );

  function label(id: string | number): string {
    const s = byId.get(String(id));
    return s ? name(s) : String(id);
  }
}

function StageRow(props: {
  stage: PipelineStage;
  index: number;
  last: boolean;
  readOnly: boolean;
  onMove: (to: number) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation('settings');
  const name = useStageName();
  const { stage: s, index } = props;
  const sortable = useSortable({ id: s.id, disabled: props.readOnly });
  const style = {
    transform: CSS.Transform.toString(sortable.transform),
    transition: sortable.transition,
  };
  const stageName = name(s);
  return (
    <li
      ref={sortable.setNodeRef}
      style={style}
      className={sortable.isDragging ? 'stage-row dragging' : 'stage-row'}
      data-testid="stage-row"
    >
      {!props.readOnly && (
        <button
          type="button"
          className="icon-btn stage-handle"
          aria-label={t('stages.dragHandle', { name: stageName })}
          {...sortable.attributes}
          {...sortable.listeners}
        >
          ⠿
        </button>
      )}
      <div className="stage-main">
        <div className="row">
          <strong>{stageName}</strong>
          <span className="muted small">
            {s.name_vi} / {s.name_en}
          </span>
        </div>
        <div className="row small muted">
          <code>{s.code}</code>
          <span className={`badge stage-cat-${s.category}`}>{t(`category.${s.category}`)}</span>
          {s.outcome === 'cancelled' && <span className="badge">{t('outcome.cancelled')}</span>}
          <span>{t('stages.probability', { value: s.default_probability })}</span>
          {s.rotting_days !== null && <span>{t('stages.rotting', { days: s.rotting_days })}</span>}
        </div>
      </div>
      {!props.readOnly && (
        <div className="row stage-actions">
          <button
            type="button"
            className="icon-btn"
            aria-label={t('stages.moveUp', { name: stageName })}
            disabled={index === 0}
            onClick={() => props.onMove(index - 1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="icon-btn"
            aria-label={t('stages.moveDown', { name: stageName })}
            disabled={props.last}
            onClick={() => props.onMove(index + 1)}
          >
            ↓
          </button>
          <button
            type="button"
            className="btn"
            aria-label={t('stages.editNamed', { name: stageName })}
            onClick={props.onEdit}
          >
            {t('common:action.edit')}
          </button>
          <button
            type="button"
            className="btn"
            aria-label={t('stages.deleteNamed', { name: stageName })}
            onClick={props.onDelete}
          >
            {t('common:action.delete')}
          </button>
        </div>
      )}
    </li>
  );
}

/**
 * Deleting a stage that still holds deals needs a stage to move them to; the API refuses otherwise
 * (`stage_has_deals`), and that refusal is shown here so the admin can pick one and confirm again.
 */
function DeleteStageDialog(props: {
  pipeline: Pipeline;
  stage: PipelineStage;
  onClose: () => void;
  onDeleted: (p: Pipeline) => void;
}) {
  const { t } = useTranslation('settings');
  const name = useStageName();
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [needsTarget, setNeedsTarget] = useState(false);
  const others = props.pipeline.stages
    .filter((s) => s.id !== props.stage.id)
    .sort((a, b) => a.position - b.position);
  const del = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      call(
        deleteCrmV1PipelinesByIdStagesByStageId({
          path: { id: props.pipeline.id, stageId: props.stage.id },
          query: target ? { move_deals_to: target } : {},
        }),
      ),
    onSuccess: (r) => {
      toast.success(
        r.moved_deals > 0 ? t('stages.deletedMoved', { count: r.moved_deals }) : t('stages.deleted'),
      );
      props.onDeleted(r.pipeline);
      props.onClose();
    },
    onError: (e) => {
      if (e instanceof ApiError && e.code === 'stage_has_deals') setNeedsTarget(true);
      setError(e instanceof ApiError ? e.message : String(e));
    },
  });
  return (
    <ConfirmDialog
      open
      title={t('stages.deleteTitle', { name: name(props.stage) })}
      confirmLabel={t('common:action.delete')}
      busy={del.isPending}
      error={error}
      onClose={props.onClose}
      onConfirm={() => {
        setError(null);
        del.mutate();
      }}
    >
      <p>{t('stages.deleteText')}</p>
      <SelectField
        label={t('stages.moveDealsTo')}
        value={target}
        required={needsTarget}
        onChange={(e) => setTarget(e.target.value)}
      >
        <option value="">{t('stages.moveDealsNone')}</option>
        {others.map((s) => (
          <option key={s.id} value={s.id}>
            {name(s)}
          </option>
        ))}
      </SelectField>
    </ConfirmDialog>
  );
}
