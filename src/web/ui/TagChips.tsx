import { useTranslation } from 'react-i18next';
import './tags.css';

/** A record's tags as small chips (read-only); nothing when there are none. */
export function TagChips(props: { tags: readonly string[]; max?: number }) {
  const { t } = useTranslation('tags');
  if (props.tags.length === 0) return null;
  const shown = props.max ? props.tags.slice(0, props.max) : props.tags;
  const more = props.tags.length - shown.length;
  return (
    <ul className="tag-chips" aria-label={t('label')} data-testid="tag-chips">
      {shown.map((tag) => (
        <li key={tag} className="tag-chip">
          {tag}
        </li>
      ))}
      {more > 0 && (
        <li className="tag-chip tag-chip-more" title={props.tags.slice(shown.length).join(', ')}>
          {t('more', { count: more })}
        </li>
      )}
    </ul>
  );
}
