import { useTranslation } from 'react-i18next';
import { COLUMN_IDS, type ColumnId, DEFAULT_COLUMNS } from './columns.js';

/** Which columns the table shows (kept in localStorage by the page). The deal name always stays. */
export function ColumnChooser(props: { value: readonly ColumnId[]; onChange: (ids: ColumnId[]) => void }) {
  const { t } = useTranslation('deals');
  const toggle = (id: ColumnId, on: boolean) =>
    // Keep the canonical order whatever the order of clicks, so the CSV and the table stay aligned.
    props.onChange(COLUMN_IDS.filter((c) => (c === id ? on : props.value.includes(c))));
  return (
    <details className="deal-columns">
      <summary className="btn">{t('list.columns')}</summary>
      <fieldset className="deal-columns-menu card">
        <legend className="sr-only">{t('list.columns')}</legend>
        {COLUMN_IDS.map((id) => (
          <label key={id} className="deal-check">
            <input
              type="checkbox"
              checked={props.value.includes(id)}
              disabled={id === 'name'}
              onChange={(e) => toggle(id, e.target.checked)}
            />
            {t(`column.${id}`)}
          </label>
        ))}
        <button
          type="button"
          className="btn btn-ghost small"
          onClick={() => props.onChange([...DEFAULT_COLUMNS])}
        >
          {t('list.resetColumns')}
        </button>
      </fieldset>
    </details>
  );
}
