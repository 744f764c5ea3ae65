import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getCrmV1Accounts } from '../../../../shared/api-client/sdk.gen.js';
import { LIMITS } from '../../../../shared/limits.js';
import { call } from '../../../lib/api.js';
import { useAccountName } from './queries.js';

/**
 * A searchable account select (ARIA 1.2 combobox with a listbox popup): typing searches GET /accounts?q=
 * (debounced), arrows move, Enter picks, Escape closes. The chosen account shows as a chip that can be
 * cleared, so the value is always an id and never a half-typed name.
 */
export function AccountPicker(props: {
  label: string;
  value: string | null;
  onChange: (id: string | null) => void;
  error?: string;
}) {
  const { t } = useTranslation('deals');
  const id = useId();
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const current = useAccountName(props.value);

  useEffect(() => {
    const h = setTimeout(() => setQ(text.trim()), 200);
    return () => clearTimeout(h);
  }, [text]);

  const params = { q: q || undefined, limit: 10, sort: 'name' as const };
  const results = useQuery({
    queryKey: ['accounts', params],
    queryFn: () => call(getCrmV1Accounts({ query: params })),
    enabled: open,
    placeholderData: keepPreviousData,
    meta: { silent: true },
  });
  const options = results.data?.data ?? [];

  const pick = (accountId: string) => {
    props.onChange(accountId);
    setText('');
    setOpen(false);
  };

  if (props.value) {
    return (
      <div className="field">
        <span className="field-label" id={`${id}-label`}>
          {props.label}
        </span>
        <fieldset className="row deal-bare-fieldset" aria-labelledby={`${id}-label`}>
          <span className="badge deal-chip">{current.data ?? t('form.loadingAccount')}</span>
          <button type="button" className="btn btn-ghost small" onClick={() => props.onChange(null)}>
            {t('form.changeAccount')}
          </button>
        </fieldset>
        {props.error && (
          <div className="field-error" role="alert">
            {props.error}
          </div>
        )}
      </div>
    );
  }

  const listId = `${id}-list`;
  const activeOption = options[active];
  return (
    <div className="field deal-combobox">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && activeOption ? `${id}-opt-${activeOption.id}` : undefined}
        aria-invalid={props.error ? true : undefined}
        autoComplete="off"
        maxLength={LIMITS.searchQuery}
        placeholder={t('form.accountSearch')}
        value={text}
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
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter' && open && activeOption) {
            e.preventDefault();
            pick(activeOption.id);
          } else if (e.key === 'Escape' && open) {
            // Close the list, not the dialog around it.
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
      />
      {open && (
        <div id={listId} role="listbox" className="deal-combobox-list" aria-label={props.label}>
          {options.length === 0 && (
            <div className="muted small deal-combobox-empty">
              {results.isFetching ? t('common:state.loading') : t('form.noAccounts')}
            </div>
          )}
          {options.map((a, i) => (
            <div
              key={a.id}
              id={`${id}-opt-${a.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className={i === active ? 'deal-combobox-item active' : 'deal-combobox-item'}
              onMouseEnter={() => setActive(i)}
              onMouseDown={(e) => {
                // Keep focus in the input so its blur does not close the list before the pick lands.
                e.preventDefault();
              }}
              onClick={() => pick(a.id)}
              onKeyDown={(e) => e.key === 'Enter' && pick(a.id)}
            >
              {a.name}
              {a.vn_mst && <span className="muted small"> · {a.vn_mst}</span>}
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
