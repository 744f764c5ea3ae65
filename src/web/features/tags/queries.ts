import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  getCrmV1Tags,
  postCrmV1AccountsBulkTags,
  postCrmV1ContactsBulkTags,
} from '../../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1TagsData,
  PostCrmV1AccountsBulkTagsResponse,
} from '../../../shared/api-client/types.gen.js';
import { call } from '../../lib/api.js';

export type TagEntity = NonNullable<GetCrmV1TagsData['query']>['entity'];
export type BulkTagsResult = PostCrmV1AccountsBulkTagsResponse;

/**
 * The workspace's most used tags of an entity starting with `draft` (debounced), for a TagInput's
 * suggestions. The previous list stays while the next loads, so the list does not flicker as one types.
 */
export function useTagSuggestions(entity: TagEntity, draft: string): string[] {
  const [q, setQ] = useState(draft.trim());
  useEffect(() => {
    const h = setTimeout(() => setQ(draft.trim()), 200);
    return () => clearTimeout(h);
  }, [draft]);
  const res = useQuery({
    queryKey: ['tags', entity, q],
    queryFn: () => call(getCrmV1Tags({ query: { entity, limit: 20, ...(q ? { q } : {}) } })),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  return res.data?.data.map((d) => d.tag) ?? [];
}

/** One bulk request (the server checks each record and reports per id). */
export function bulkTag(
  entity: 'account' | 'contact',
  body: { ids: string[]; add: string[]; remove: string[] },
): Promise<BulkTagsResult> {
  return entity === 'account'
    ? call(postCrmV1AccountsBulkTags({ body }))
    : call(postCrmV1ContactsBulkTags({ body }));
}
