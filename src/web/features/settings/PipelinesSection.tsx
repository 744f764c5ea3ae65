import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { patchCrmV1PipelinesById, postCrmV1Pipelines } from '../../../shared/api-client/sdk.gen.js';
import type { Pipeline } from '../../../shared/api-client/types.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { PIPELINE_KINDS, useCanEditPipeline, usePipelineSaved, usePipelines } from './pipelineShared.js';
import { StageList } from './StageList.js';
import { TransitionsEditor } from './TransitionsEditor.js';

/** Pipelines: pick one (kept in `?pipeline=`), edit it; admins create new ones from a template. */
export function PipelinesSection() {
  const { t } = useTranslation('settings');
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const pipelines = usePipelines();
  const list = pipelines.data?.data ?? [];
  const selected =
    list.find((p) => p.id === params.get('pipeline')) ?? list.find((p) => p.is_default) ?? list[0];
  const canCreate = can(me, 'crm.pipeline.create');
  const creating = params.get('new') === '1';

  const setParam = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };

  return (
    <div className="stack">
      <div className="row">
        <h2>{t('pipelines.title')}</h2>
        <span className="spacer" />
        {canCreate && (
          <button type="button" className="btn btn-primary" onClick={() => setParam('new', '1')}>
            {t('pipelines.new')}
          </button>
        )}
      </div>
      {pipelines.isPending && <p className="muted">{t('common:state.loading')}</p>}
      {list.length > 0 && (
        <ul className="pipeline-tabs" aria-label={t('pipelines.list')}>
          {list.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className={p.id === selected?.id ? 'btn btn-primary' : 'btn'}
                aria-pressed={p.id === selected?.id}
                onClick={() => setParam('pipeline', p.id)}
              >
                {p.name}
                {p.is_default && <span className="pipeline-default"> · {t('pipelines.default')}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected && <PipelineEditor key={selected.id} pipeline={selected} />}
      {creating && canCreate && (
        <CreatePipelineDialog
          onClose={() => setParam('new', null)}
          onCreated={(p) => {
            const next = new URLSearchParams(params);
            next.delete('new');
            next.set('pipeline', p.id);
            setParams(next, { replace: true });
          }}
        />
      )}
    </div>
  );
}

function PipelineEditor(props: { pipeline: Pipeline }) {
  const { t } = useTranslation('settings');
  const { pipeline } = props;
  const canEdit = useCanEditPipeline(pipeline);
  const saved = usePipelineSaved();
  const [name, setName] = useState(pipeline.name);
  const [error, setError] = useState<string | undefined>();

  const rename = useMutation({
    meta: { silent: true },
    mutationFn: (body: { name?: string; is_default?: boolean }) =>
      call(
        patchCrmV1PipelinesById({ path: { id: pipeline.id }, body: { ...body, version: pipeline.version } }),
      ),
    onSuccess: (p) => {
      saved(p);
      setName(p.name);
      toast.success(t('pipelines.saved'));
    },
    onError: (e) => {
      if (e instanceof ApiError) setError(e.fieldErrors().name ?? e.message);
      else setError(String(e));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    rename.mutate({ name: name.trim() });
  };

  return (
    <div className="card stack" data-testid="pipeline-editor">
      {!canEdit && (
        <div className="alert alert-warning" role="status">
          {t('pipelines.readOnly')}
        </div>
      )}
      <form className="row pipeline-name-form" onSubmit={submit}>
        <Field
          label={t('pipelines.name')}
          value={name}
          maxLength={LIMITS.name}
          required
          readOnly={!canEdit}
          error={error}
          onChange={(e) => setName(e.target.value)}
        />
        {canEdit && (
          <button
            type="submit"
            className="btn btn-primary"
            disabled={rename.isPending || name.trim() === '' || name.trim() === pipeline.name}
          >
            {t('common:action.save')}
          </button>
        )}
        <span className="badge">{t(`kind.${pipeline.kind}`)}</span>
        {pipeline.is_default ? (
          <span className="badge badge-success">{t('pipelines.default')}</span>
        ) : (
          canEdit && (
            <button type="button" className="btn" onClick={() => rename.mutate({ is_default: true })}>
              {t('pipelines.makeDefault')}
            </button>
          )
        )}
      </form>
      <StageList pipeline={pipeline} readOnly={!canEdit} />
      <TransitionsEditor pipeline={pipeline} readOnly={!canEdit} />
    </div>
  );
}

/** A new pipeline from a template: the kind's preset stages and moves, editable afterwards. */
function CreatePipelineDialog(props: { onClose: () => void; onCreated: (p: Pipeline) => void }) {
  const { t } = useTranslation('settings');
  const saved = usePipelineSaved();
  const [name, setName] = useState('');
  const [template, setTemplate] = useState<(typeof PIPELINE_KINDS)[number]>('sales');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation({
    meta: { silent: true },
    mutationFn: () => call(postCrmV1Pipelines({ body: { name: name.trim(), kind: template, template } })),
    onSuccess: (p) => {
      saved();
      toast.success(t('pipelines.created'));
      props.onCreated(p);
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        setErrors(e.fieldErrors());
        setFormError(e.message);
      } else setFormError(String(e));
    },
  });
  return (
    <Dialog open title={t('pipelines.new')} onClose={props.onClose}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          setErrors({});
          setFormError(null);
          create.mutate();
        }}
      >
        <Field
          label={t('pipelines.name')}
          value={name}
          maxLength={LIMITS.name}
          required
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <SelectField
          label={t('pipelines.template')}
          value={template}
          error={errors.template ?? errors.kind}
          onChange={(e) => setTemplate(e.target.value as (typeof PIPELINE_KINDS)[number])}
        >
          {PIPELINE_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </SelectField>
        <p className="muted small">{t(`templateHint.${template}`)}</p>
        {formError && (
          <div className="alert alert-error" role="alert">
            {formError}
          </div>
        )}
        <div className="row settings-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || name.trim() === ''}>
            {t('common:action.create')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
