import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  patchCrmV1PipelinesByIdStagesByStageId,
  postCrmV1PipelinesByIdStages,
} from '../../../shared/api-client/sdk.gen.js';
import type { Pipeline, PipelineStage } from '../../../shared/api-client/types.gen.js';
import { ROLES, type Role } from '../../../shared/auth.js';
import { ApiError, call } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import {
  codeFromName,
  REQUIRABLE_FIELDS,
  type RequirableField,
  STAGE_CATEGORIES,
  usePipelineSaved,
} from './pipelineShared.js';

type Category = PipelineStage['category'];
type Outcome = PipelineStage['outcome'];

/**
 * Add or edit a stage. `rulesOnly` shows just the entry rules (required fields, roles allowed, lost
 * reason), which is what the transition rules editor opens. Field errors come from the API's problem,
 * by field path, so the form validates exactly like the server.
 */
export function StageDialog(props: {
  open: boolean;
  onClose: () => void;
  pipeline: Pipeline;
  stage?: PipelineStage;
  rulesOnly?: boolean;
}) {
  const { t } = useTranslation('settings');
  const { stage, pipeline } = props;
  const saved = usePipelineSaved();
  const [nameVi, setNameVi] = useState(stage?.name_vi ?? '');
  const [nameEn, setNameEn] = useState(stage?.name_en ?? '');
  const [code, setCode] = useState(stage?.code ?? '');
  const [codeTouched, setCodeTouched] = useState(Boolean(stage));
  const [probability, setProbability] = useState(String(stage?.default_probability ?? 10));
  const [category, setCategory] = useState<Category>(stage?.category ?? 'open');
  const [outcome, setOutcome] = useState<Outcome>(stage?.outcome ?? null);
  const [rotting, setRotting] = useState(stage?.rotting_days ? String(stage.rotting_days) : '');
  // null: the board uses the category's colour.
  const [color, setColor] = useState<string | null>(stage?.color ?? null);
  const [required, setRequired] = useState<Set<RequirableField>>(
    new Set(
      (stage?.required_fields ?? []).filter((f): f is RequirableField =>
        (REQUIRABLE_FIELDS as readonly string[]).includes(f),
      ),
    ),
  );
  const [roles, setRoles] = useState<Set<Role>>(new Set(stage?.allowed_roles ?? []));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const effectiveOutcome: Outcome =
    category === 'open' ? null : category === 'won' ? 'won' : outcome === 'cancelled' ? 'cancelled' : 'lost';
  // The API always requires a lost reason for a `lost` outcome, whatever the list says.
  const lostReasonForced = category === 'lost' && effectiveOutcome === 'lost';
  const requiredList = [...required].filter((f) => f !== 'lost_reason' || category === 'lost');

  const save = useMutation({
    meta: { silent: true },
    mutationFn: async () => {
      const rules = { required_fields: requiredList, allowed_roles: [...roles] };
      if (props.rulesOnly && stage) {
        return call(
          patchCrmV1PipelinesByIdStagesByStageId({
            path: { id: pipeline.id, stageId: stage.id },
            body: { ...rules, version: stage.version },
          }),
        );
      }
      const fields = {
        code: code.trim(),
        name_vi: nameVi.trim(),
        name_en: nameEn.trim(),
        default_probability: Number(probability),
        category,
        outcome: effectiveOutcome,
        rotting_days: rotting.trim() === '' ? null : Number(rotting),
        color,
        ...rules,
      };
      if (stage) {
        return call(
          patchCrmV1PipelinesByIdStagesByStageId({
            path: { id: pipeline.id, stageId: stage.id },
            body: { ...fields, version: stage.version },
          }),
        );
      }
      return call(postCrmV1PipelinesByIdStages({ path: { id: pipeline.id }, body: fields }));
    },
    onSuccess: () => {
      toast.success(t('stage.saved'));
      saved();
      props.onClose();
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        setErrors(error.fieldErrors());
        setFormError(error.message);
      } else setFormError(String(error));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };

  const toggle = <T,>(set: Set<T>, value: T, on: boolean): Set<T> => {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  };

  const title = props.rulesOnly
    ? t('stage.rulesTitle', { name: nameEn || nameVi })
    : stage
      ? t('stage.editTitle')
      : t('stage.addTitle');

  return (
    <Dialog open={props.open} title={title} onClose={props.onClose} wide>
      <form className="stack" onSubmit={submit} noValidate>
        {!props.rulesOnly && (
          <>
            <div className="settings-form-grid">
              <Field
                label={t('stage.nameVi')}
                value={nameVi}
                maxLength={100}
                required
                error={errors.name_vi}
                onChange={(e) => setNameVi(e.target.value)}
              />
              <Field
                label={t('stage.nameEn')}
                value={nameEn}
                maxLength={100}
                required
                error={errors.name_en}
                onChange={(e) => {
                  setNameEn(e.target.value);
                  if (!codeTouched) setCode(codeFromName(e.target.value));
                }}
              />
              <Field
                label={t('stage.code')}
                value={code}
                maxLength={50}
                required
                pattern="[a-z][a-z0-9_]*"
                hint={t('stage.codeHint')}
                error={errors.code}
                onChange={(e) => {
                  setCodeTouched(true);
                  setCode(e.target.value);
                }}
              />
              <Field
                label={t('stage.probability')}
                type="number"
                min={0}
                max={100}
                step={1}
                value={probability}
                error={errors.default_probability}
                onChange={(e) => setProbability(e.target.value)}
              />
              <SelectField
                label={t('stage.category')}
                value={category}
                error={errors.category}
                onChange={(e) => setCategory(e.target.value as Category)}
              >
                {STAGE_CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(`category.${c}`)}
                  </option>
                ))}
              </SelectField>
              {category === 'lost' && (
                <SelectField
                  label={t('stage.outcome')}
                  value={effectiveOutcome ?? 'lost'}
                  error={errors.outcome}
                  onChange={(e) => setOutcome(e.target.value as Outcome)}
                >
                  <option value="lost">{t('outcome.lost')}</option>
                  <option value="cancelled">{t('outcome.cancelled')}</option>
                </SelectField>
              )}
              <Field
                label={t('stage.rotting')}
                type="number"
                min={1}
                max={3650}
                value={rotting}
                hint={t('stage.rottingHint')}
                error={errors.rotting_days}
                onChange={(e) => setRotting(e.target.value)}
              />
            </div>
            <div className="row">
              <Field
                label={t('stage.colour')}
                type="color"
                value={color ?? '#94a3b8'}
                error={errors.color}
                onChange={(e) => setColor(e.target.value)}
              />
              <label className="row small">
                <input
                  type="checkbox"
                  checked={color === null}
                  onChange={(e) => setColor(e.target.checked ? null : '#1d4ed8')}
                />
                {t('stage.colourAuto')}
              </label>
            </div>
          </>
        )}

        <fieldset className="settings-fieldset">
          <legend>{t('stage.requiredFields')}</legend>
          <div className="settings-checks">
            {REQUIRABLE_FIELDS.filter((f) => f !== 'lost_reason').map((f) => (
              <label key={f} className="row">
                <input
                  type="checkbox"
                  checked={required.has(f)}
                  onChange={(e) => setRequired(toggle(required, f, e.target.checked))}
                />
                {t(`field.${f}`)}
              </label>
            ))}
          </div>
          {errors.required_fields && (
            <div className="field-error" role="alert">
              {errors.required_fields}
            </div>
          )}
        </fieldset>

        {category === 'lost' && (
          <label className="row">
            <input
              type="checkbox"
              checked={lostReasonForced || required.has('lost_reason')}
              disabled={lostReasonForced}
              onChange={(e) => setRequired(toggle(required, 'lost_reason', e.target.checked))}
            />
            {t('stage.lostReasonRequired')}
            {lostReasonForced && <span className="muted small">{t('stage.lostReasonAlways')}</span>}
          </label>
        )}

        <fieldset className="settings-fieldset">
          <legend>{t('stage.allowedRoles')}</legend>
          <p className="muted small">{t('stage.allowedRolesHint')}</p>
          <div className="settings-checks">
            {ROLES.map((r) => (
              <label key={r} className="row">
                <input
                  type="checkbox"
                  checked={roles.has(r)}
                  onChange={(e) => setRoles(toggle(roles, r, e.target.checked))}
                />
                {t(`role.${r}`)}
              </label>
            ))}
          </div>
        </fieldset>

        {formError && (
          <div className="alert alert-error" role="alert">
            {formError}
          </div>
        )}
        <div className="row settings-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {t('common:action.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
