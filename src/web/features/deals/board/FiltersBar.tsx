import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { currencyDigits, parseMoneyInput, useFormat } from '../../../lib/format.js';
import { BOARD_STATUSES, type BoardFilters, type FilterParam, hasActiveFilters } from './filters.js';
import type { Member } from './queries.js';

const TYPING_DEBOUNCE_MS = 350;

/**
 * Owner, value range, expected close range, text search and which closed deals to show. Every filter is
 * a URL search param (the page owns the URL); the board API applies them all server-side, so counts and
 * totals are those of the filtered deals. Typed values reach the URL after a pause, not per keystroke.
 */
export function FiltersBar(props: {
  filters: BoardFilters;
  members: Member[];
  baseCurrency: string;
  onChange: (key: FilterParam, value: string | undefined) => void;
  onClear: () => void;
}) {
  const { filters, onChange } = props;
  const { t } = useTranslation('board');
  const fmt = useFormat();
  const digits = currencyDigits(props.baseCurrency);
  const toText = (minor: number | undefined) => (minor === undefined ? '' : String(minor / 10 ** digits));
  const toMinor = (text: string) => {
    const trimmed = text.trim();
    if (!trimmed) return undefined;
    const minor = parseMoneyInput(trimmed, props.baseCurrency, fmt.locale);
    return minor === null ? undefined : String(minor);
  };

  return (
    <search className="board-filters" aria-label={t('filters.label')}>
      <label className="board-filter">
        <span>{t('filters.owner')}</span>
        <select value={filters.owner ?? ''} onChange={(e) => onChange('owner', e.target.value || undefined)}>
          <option value="">{t('filters.anyone')}</option>
          <option value="me">{t('filters.me')}</option>
          <option value="none">{t('filters.unassigned')}</option>
          {props.members
            .filter((m) => m.status === 'active')
            .map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.display_name}
              </option>
            ))}
        </select>
      </label>
      <DebouncedInput
        label={t('filters.min', { currency: props.baseCurrency })}
        value={toText(filters.min)}
        inputMode={digits > 0 ? 'decimal' : 'numeric'}
        onCommit={(v) => onChange('min', toMinor(v))}
      />
      <DebouncedInput
        label={t('filters.max', { currency: props.baseCurrency })}
        value={toText(filters.max)}
        inputMode={digits > 0 ? 'decimal' : 'numeric'}
        onCommit={(v) => onChange('max', toMinor(v))}
      />
      <label className="board-filter">
        <span>{t('filters.closeFrom')}</span>
        <input
          type="date"
          value={filters.closeFrom ?? ''}
          onChange={(e) => onChange('close_from', e.target.value || undefined)}
        />
      </label>
      <label className="board-filter">
        <span>{t('filters.closeTo')}</span>
        <input
          type="date"
          value={filters.closeTo ?? ''}
          onChange={(e) => onChange('close_to', e.target.value || undefined)}
        />
      </label>
      <DebouncedInput
        label={t('filters.search')}
        type="search"
        value={filters.q ?? ''}
        maxLength={100}
        onCommit={(v) => onChange('q', v.trim() || undefined)}
      />
      <label className="board-filter">
        <span>{t('filters.status')}</span>
        <select value={filters.status} onChange={(e) => onChange('status', e.target.value)}>
          {BOARD_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === 'open'
                ? t('filters.statusOpen')
                : s === 'recent'
                  ? t('filters.statusRecent')
                  : t('filters.statusAll')}
            </option>
          ))}
        </select>
      </label>
      {hasActiveFilters(filters) && (
        <button type="button" className="btn btn-ghost board-filters-clear" onClick={props.onClear}>
          {t('filters.clear')}
        </button>
      )}
    </search>
  );
}

/** A text filter that commits after a pause, on Enter or on leaving the field; follows URL changes. */
function DebouncedInput(props: {
  label: string;
  value: string;
  type?: 'text' | 'search';
  inputMode?: 'decimal' | 'numeric';
  maxLength?: number;
  onCommit: (value: string) => void;
}) {
  const { value, onCommit } = props;
  const [text, setText] = useState(value);
  const [editing, setEditing] = useState(false);
  // The URL changed from elsewhere (back button, "clear filters"): show it unless the user is typing.
  useEffect(() => {
    if (!editing) setText(value);
  }, [value, editing]);
  useEffect(() => {
    if (!editing) return;
    const id = setTimeout(() => {
      if (text !== value) onCommit(text);
    }, TYPING_DEBOUNCE_MS);
    return () => clearTimeout(id);
  }, [text, value, editing, onCommit]);
  return (
    <label className="board-filter">
      <span>{props.label}</span>
      <input
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        maxLength={props.maxLength}
        value={text}
        onFocus={() => setEditing(true)}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          setEditing(false);
          if (text !== value) onCommit(text);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && text !== value) onCommit(text);
        }}
      />
    </label>
  );
}
