import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1AccountsById,
  getCrmV1Members,
  getCrmV1Pipelines,
} from '../../../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1DealsByIdResponse,
  GetCrmV1MembersResponse,
  Pipeline,
  PipelineStage,
} from '../../../../shared/api-client/types.gen.js';
import { call } from '../../../lib/api.js';

/** The deal as the API presents it (GET /deals/{id}); lists and writes answer the same shape. */
export type DealRecord = GetCrmV1DealsByIdResponse;
export type Member = GetCrmV1MembersResponse['data'][number];
export type StageRef = Pick<PipelineStage, 'name_vi' | 'name_en'>;

/** Pipelines with their stages: shared by the form, the list's filters and the bulk move. */
export function usePipelines() {
  return useQuery({
    queryKey: ['pipelines'],
    queryFn: () => call(getCrmV1Pipelines()),
    staleTime: 60_000,
    select: (r): Pipeline[] => r.data,
  });
}

export function useMembers() {
  return useQuery({
    queryKey: ['members'],
    queryFn: () => call(getCrmV1Members()),
    staleTime: 60_000,
    select: (r): Member[] => r.data,
  });
}

/** One account's name for a link or a picker's current value (the deal carries only its id). */
export function useAccountName(id: string | null | undefined) {
  return useQuery({
    queryKey: ['account', id],
    queryFn: () => call(getCrmV1AccountsById({ path: { id: id ?? '' } })),
    enabled: Boolean(id),
    staleTime: 60_000,
    select: (a) => a.name,
    meta: { silent: true },
  });
}

/** Stage names come in both languages; Vietnamese shows name_vi, every other language name_en. */
export function useStageName(): (stage: StageRef | null | undefined) => string {
  const { i18n } = useTranslation();
  const vi = i18n.language === 'vi';
  return (stage) => (stage ? (vi ? stage.name_vi : stage.name_en) : '—');
}

export function memberName(members: Member[] | undefined, id: string | null | undefined): string {
  if (!id) return '—';
  return members?.find((m) => m.user_id === id)?.display_name ?? '…';
}

/** The `If-Match` header value for a record read at `version` (the API's ETag is the quoted version). */
export function ifMatch(version: number): { 'if-match': string } {
  return { 'if-match': `"${version}"` };
}

/** After a write to a deal: everything that shows it (lists, boards, its timeline, the dashboard). */
export function invalidateDeal(qc: QueryClient, deal: Pick<DealRecord, 'id' | 'pipeline_id' | 'account_id'>) {
  void qc.invalidateQueries({ queryKey: ['deals'] });
  void qc.invalidateQueries({ queryKey: ['board', deal.pipeline_id] });
  void qc.invalidateQueries({ queryKey: ['timeline', 'deal', deal.id] });
  void qc.invalidateQueries({ queryKey: ['deal', deal.id, 'history'] });
  void qc.invalidateQueries({ queryKey: ['deal', deal.id, 'flow'] });
  void qc.invalidateQueries({ queryKey: ['dashboard'] });
  if (deal.account_id) void qc.invalidateQueries({ queryKey: ['account', deal.account_id] });
}
