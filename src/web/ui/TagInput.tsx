import { type KeyboardEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { normalizeTag, normalizeTags, TAG_LIMITS } from '../../shared/tags.js';
import './tags.css';

/**
 * Edits a list of tags: chips with a remove button each, and a text box with the suggestions in a
 * native <datalist> (keyboard and screen-reader support come with it). Enter or a comma adds what was
 * typed; Backspace in an empty box removes the last tag; leaving the box adds what is left in it, so a
 * form submitted right after typing keeps the tag. Tags are normalized like the server does
 * (src/shared/tags.ts), so what is shown is what will be stored.
 */
export function TagInput(props: {
  label: string;
  value: readonly string[];
  onChange: (tags: string[]) => void;
  suggestions?: readonly string[];
  /** Told what is being typed (to fetch matching suggestions). */
  onDraftChange?: (draft: string) => void;
  error?: string;
  placeholder?: string;
  max?: number;
  testId?: string;
}) {
  const { t } = useTranslation('tags');
  const id = useId();
  const [draft, setDraft] = useState('');
  const max = props.max ?? TAG_LIMITS.perRecord;
  const full = props.value.length >= max;

  const setText = (v: string) => {
    setDraft(v);
    props.onDraftChange?.(v);
  };
  const commit = (text: string) => {
    const added = normalizeTags(text.split(','));
    if (added.length > 0) props.onChange(normalizeTags([...props.value, ...added]).slice(0, max));
    setText('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === ',') {
      // Enter adds a tag; it must not submit the form around the box.
      if (draft.trim() !== '' || e.key === ',') e.preventDefault();
      if (draft.trim() !== '') commit(draft);
    } else if (e.key === 'Backspace' && draft === '' && props.value.length > 0) {
      props.onChange(props.value.slice(0, -1));
    }
  };
  const remaining = (props.suggestions ?? []).filter((s) => !props.value.includes(s));

  return (
    <div className="field tag-input" data-testid={props.testId}>
      <label htmlFor={id}>{props.label}</label>
      <div className="tag-input-box">
        {props.value.length > 0 && (
          <ul className="tag-chips" aria-label={t('label')}>
            {props.value.map((tag) => (
              <li key={tag} className="tag-chip">
                {tag}
                <button
                  type="button"
                  className="tag-chip-remove"
                  aria-label={t('remove', { tag })}
                  onClick={() => props.onChange(props.value.filter((x) => x !== tag))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <input
          id={id}
          type="text"
          list={`${id}-list`}
          value={draft}
          disabled={full}
          maxLength={TAG_LIMITS.length * 2}
          placeholder={full ? t('full', { max }) : (props.placeholder ?? t('placeholder'))}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? `${id}-err` : `${id}-hint`}
          autoComplete="off"
          onChange={(e) => {
            const v = e.target.value;
            // Picking a suggestion from the list fills the box with it exactly: take it at once.
            if (remaining.includes(v) && normalizeTag(v) === v && v !== draft.trim()) {
              const picked = (e.nativeEvent as InputEvent).inputType;
              if (picked === undefined || picked === 'insertReplacementText') {
                commit(v);
                return;
              }
            }
            setText(v);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => {
            if (draft.trim() !== '') commit(draft);
          }}
        />
        <datalist id={`${id}-list`}>
          {remaining.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </div>
      <div id={`${id}-hint`} className="muted small">
        {t('hint')}
      </div>
      {props.error && (
        <div id={`${id}-err`} className="field-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}
