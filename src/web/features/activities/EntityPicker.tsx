import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getCrmV1Search } from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';

export type EntityType = 'accounts' | 'contacts' | 'deals';
export interface Picked {
  id: string;
  label: string;
}

/**
 * A search-as-you-type picker for an account, contact or deal (the global search endpoint, which applies
 * the caller's permissions and the deal ACL). ARIA combobox: arrows move, Enter picks, Escape closes.
 */
export function EntityPicker(props: {
  type: EntityType;
  label: string;
  value: Picked | null;
  onChange: (value: Picked | null) => void;
  error?: string;
  disabled?: boolean;
}) {
  const { t } = useTranslation('activities');
  const id = useId();
  const [text, setText] = useState('');
  const [debounced, setDebounced] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  useEffect(() => {
    const h = setTimeout(() => setDebounced(text.trim()), 200);
    return () => clearTimeout(h);
  }, [text]);
  const q = useQuery({
    queryKey: ['search', props.type, debounced],
    queryFn: () => call(getCrmV1Search({ query: { q: debounced, types: props.type, limit: 8 } })),
    enabled: open && debounced.length > 0,
    meta: { silent: true },
  });
  const options: Picked[] = (() => {
    const r = q.data;
    if (!r) return [];
    if (props.type === 'accounts') return (r.accounts?.data ?? []).map((a) => ({ id: a.id, label: a.name }));
    if (props.type === 'contacts')
      return (r.contacts?.data ?? []).map((c) => ({
        id: c.id,
        label: c.account ? `${c.display_name} · ${c.account.name}` : c.display_name,
      }));
    return (r.deals?.data ?? []).map((d) => ({ id: d.id, label: d.name }));
  })();

  const pick = (o: Picked) => {
    props.onChange(o);
    setText('');
    setOpen(false);
  };

  if (props.value)
    return (
      <div className="field">
        <span className="field-label" id={`${id}-l`}>
          {props.label}
        </span>
        <div className="row picked">
          <span className="badge">{props.value.label}</span>
          {!props.disabled && (
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => props.onChange(null)}
              aria-label={t('picker.clear', { name: props.value.label })}
            >
              ×
            </button>
          )}
        </div>
      </div>
    );

  const listId = `${id}-list`;
  const showList = open && debounced.length > 0;
  return (
    <div className="field picker">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && options[active] ? `${listId}-${active}` : undefined}
        aria-invalid={props.error ? true : undefined}
        placeholder={t('picker.placeholder')}
        value={text}
        disabled={props.disabled}
        autoComplete="off"
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((i) => Math.min(i + 1, Math.max(options.length - 1, 0)));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((i) => Math.max(i - 1, 0));
          } else if (e.key === 'Enter' && showList) {
            e.preventDefault();
            const o = options[active];
            if (o) pick(o);
          } else if (e.key === 'Escape' && showList) {
            // Close the list only, not the dialog around it.
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
      />
      {showList && (
        <div id={listId} role="listbox" className="picker-list" aria-label={props.label}>
          {q.isFetching && options.length === 0 && (
            <div className="muted small">{t('common:state.loading')}</div>
          )}
          {!q.isFetching && options.length === 0 && <div className="muted small">{t('picker.nothing')}</div>}
          {options.map((o, i) => (
            <div
              key={o.id}
              tabIndex={-1}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'picker-option active' : 'picker-option'}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(o);
              }}
            >
              {o.label}
            </div>
          ))}
        </div>
      )}
      {props.error && (
        <div className="field-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}
