import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { getCrmV1Members } from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';

/**
 * The workspace members, by user id, for author and owner names. One cached list (['members'], the
 * whole response as the API returns it) shared by every page; members change rarely.
 */
export function useMembers() {
  const q = useQuery({
    queryKey: ['members'],
    queryFn: () => call(getCrmV1Members()),
    staleTime: 5 * 60_000,
    meta: { silent: true },
  });
  const byId = useMemo(() => new Map((q.data?.data ?? []).map((m) => [m.user_id, m])), [q.data]);
  return { members: q.data?.data ?? [], byId, isLoading: q.isLoading };
}
