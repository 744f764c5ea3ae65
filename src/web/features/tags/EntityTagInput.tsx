import { useState } from 'react';
import { TagInput } from '../../ui/TagInput.js';
import { type TagEntity, useTagSuggestions } from './queries.js';

/** A TagInput whose suggestions are the workspace's most used tags of `entity` (GET /tags). */
export function EntityTagInput(
  props: { entity: TagEntity } & Omit<Parameters<typeof TagInput>[0], 'suggestions' | 'onDraftChange'>,
) {
  const { entity, ...rest } = props;
  const [draft, setDraft] = useState('');
  const suggestions = useTagSuggestions(entity, draft);
  return <TagInput {...rest} suggestions={suggestions} onDraftChange={setDraft} />;
}
