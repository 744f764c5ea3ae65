import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LIMITS } from '../../../../shared/limits.js';
import { useMe } from '../../../app/session.js';
import { currencyDigits, formatNumber, parseMoneyInput, useFormat } from '../../../lib/format.js';
import { useMembers, usePipelines, useStageName } from '../deal/queries.js';
import { type DealFilters, hasFilters, STATUSES } from './filters.js';

/**
 * The list's filters. Selects apply at once; the search text after a short pause; the amount bounds
 * when the field is left (typed in major units of the workspace currency, like the form).
 */
export function FilterBar(props: { filters: DealFilters; onChange: (f: DealFilters) => void }) {
  const { t } = useTranslation('deals');
  const me = useMe();
  const fmt = useFormat();
  const stageName = useStageName();
  const pipelines = usePipelines();
  const members = useMembers();
  const f = props.filters;
  const id = useId();
  const currency = me.workspace.base_currency;

  const [q, setQ] = useState(f.q);
  useEffect(() => setQ(f.q), [f.q]);
  useEffect(() => {
    if (q === f.q) return;
    const h = setTimeout(() => props.onChange({ ...f, q }), 300);
    return () => clearTimeout(h);
  });

  const minorToText = (v: number | null) =>
    v === null ? '' : formatNumber(v / 10 ** currencyDigits(currency), fmt.locale);
  const [amin, setAmin] = useState(minorToText(f.amountMin));
  const [amax, setAmax] = useState(minorToText(f.amountMax));
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-sync only when the URL's value changes
  useEffect(() => setAmin(minorToText(f.amountMin)), [f.amountMin]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-sync only when the URL's value changes
  useEffect(() => setAmax(minorToText(f.amountMax)), [f.amountMax]);
  const commitAmount = (key: 'amountMin' | 'amountMax', text: string) => {
    const v = text.trim() === '' ? null : parseMoneyInput(text, currency, fmt.locale);
    if (v === null && text.trim() !== '') return; // leave the bad text for the person to fix
    if (v !== f[key]) props.onChange({ ...f, [key]: v });
  };
  const amountInvalid = (text: string) =>
    text.trim() !== '' && parseMoneyInput(text, currency, fmt.locale) === null ? true : undefined;

  const pipeline = pipelines.data?.find((p) => p.id === f.pipeline);

  return (
    <search className="deal-filters card" aria-label={t('filter.label')}>
      <div className="field deal-filter-q">
        <label htmlFor={`${id}-q`}>{t('filter.search')}</label>
        <input
          id={`${id}-q`}
          type="search"
          value={q}
          maxLength={LIMITS.searchQuery}
          placeholder={t('filter.searchPlaceholder')}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>{t('field.status')}</label>
        <select
          id={`${id}-status`}
          value={f.status}
          onChange={(e) => props.onChange({ ...f, status: e.target.value as DealFilters['status'] })}
        >
          <option value="">{t('filter.any')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-pipeline`}>{t('field.pipeline')}</label>
        <select
          id={`${id}-pipeline`}
          value={f.pipeline}
          onChange={(e) => props.onChange({ ...f, pipeline: e.target.value, stage: '' })}
        >
          <option value="">{t('filter.any')}</option>
          {(pipelines.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-stage`}>{t('field.stage')}</label>
        <select
          id={`${id}-stage`}
          value={f.stage}
          disabled={!pipeline}
          onChange={(e) => props.onChange({ ...f, stage: e.target.value })}
        >
          <option value="">{pipeline ? t('filter.any') : t('filter.pipelineFirst')}</option>
          {[...(pipeline?.stages ?? [])]
            .sort((a, b) => a.position - b.position)
            .map((st) => (
              <option key={st.id} value={st.id}>
                {stageName(st)}
              </option>
            ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-owner`}>{t('field.owner')}</label>
        <select
          id={`${id}-owner`}
          value={f.owner}
          onChange={(e) => props.onChange({ ...f, owner: e.target.value })}
        >
          <option value="">{t('filter.any')}</option>
          <option value="me">{t('filter.mine')}</option>
          <option value="none">{t('form.noOwner')}</option>
          {(members.data ?? []).map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-amin`}>{t('filter.amountMin', { currency })}</label>
        <input
          id={`${id}-amin`}
          inputMode="decimal"
          value={amin}
          aria-invalid={amountInvalid(amin)}
          onChange={(e) => setAmin(e.target.value)}
          onBlur={() => commitAmount('amountMin', amin)}
          onKeyDown={(e) => e.key === 'Enter' && commitAmount('amountMin', amin)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-amax`}>{t('filter.amountMax', { currency })}</label>
        <input
          id={`${id}-amax`}
          inputMode="decimal"
          value={amax}
          aria-invalid={amountInvalid(amax)}
          onChange={(e) => setAmax(e.target.value)}
          onBlur={() => commitAmount('amountMax', amax)}
          onKeyDown={(e) => e.key === 'Enter' && commitAmount('amountMax', amax)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-from`}>{t('filter.closeFrom')}</label>
        <input
          id={`${id}-from`}
          type="date"
          value={f.closeFrom}
          onChange={(e) => props.onChange({ ...f, closeFrom: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>{t('filter.closeTo')}</label>
        <input
          id={`${id}-to`}
          type="date"
          value={f.closeTo}
          onChange={(e) => props.onChange({ ...f, closeTo: e.target.value })}
        />
      </div>
      {hasFilters(f) && (
        <button
          type="button"
          className="btn btn-ghost deal-filter-clear"
          onClick={() =>
            props.onChange({
              ...f,
              q: '',
              status: '',
              pipeline: '',
              stage: '',
              owner: '',
              amountMin: null,
              amountMax: null,
              closeFrom: '',
              closeTo: '',
            })
          }
        >
          {t('filter.clear')}
        </button>
      )}
    </search>
  );
}
