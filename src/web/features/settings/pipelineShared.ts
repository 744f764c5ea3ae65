import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { getCrmV1Pipelines } from '../../../shared/api-client/sdk.gen.js';
import type {
  Pipeline,
  PipelineStage,
  PostCrmV1PipelinesByIdStagesData,
} from '../../../shared/api-client/types.gen.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';

/** Pipeline settings helpers shared by the editor, the stage dialog and the transition rules. */

export const PIPELINE_KINDS = ['sales', 'partner', 'inbound', 'outbound', 'custom'] as const;
export const STAGE_CATEGORIES = ['open', 'won', 'lost'] as const;
/** Fields a stage can require on entry (the API's list; lost_reason only for lost stages). */
export const REQUIRABLE_FIELDS = [
  'account_id',
  'primary_contact_id',
  'amount',
  'expected_close_date',
  'description',
  'owner_id',
  'lost_reason',
] as const satisfies ReadonlyArray<
  NonNullable<PostCrmV1PipelinesByIdStagesData['body']['required_fields']>[number]
>;
export type RequirableField = (typeof REQUIRABLE_FIELDS)[number];

export function usePipelines() {
  return useQuery({ queryKey: ['pipelines'], queryFn: () => call(getCrmV1Pipelines()) });
}

/** Writes need the permission (admins); pipelines also carry the server's computed abilities. */
export function useCanEditPipeline(pipeline: Pipeline | undefined): boolean {
  const me = useMe();
  return (
    can(me, 'crm.pipeline.update') && (pipeline === undefined || pipeline.abilities.includes('manage_stages'))
  );
}

export function useStageName() {
  const { i18n } = useTranslation();
  return (s: Pick<PipelineStage, 'name_vi' | 'name_en'>) => (i18n.language === 'vi' ? s.name_vi : s.name_en);
}

/** After a pipeline write: put the answer in the cache at once, and let the boards refetch. */
export function usePipelineSaved() {
  const qc = useQueryClient();
  return (pipeline?: Pipeline) => {
    if (pipeline) {
      qc.setQueryData<{ data: Pipeline[] }>(['pipelines'], (old) =>
        old ? { data: old.data.map((p) => (p.id === pipeline.id ? pipeline : p)) } : old,
      );
    }
    void qc.invalidateQueries({ queryKey: ['pipelines'] });
    void qc.invalidateQueries({ queryKey: ['board'] });
  };
}

/** A stage code from a name: lower-case ASCII, `_` between words, starting with a letter. */
export function codeFromName(name: string): string {
  const base = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50);
  return /^[a-z]/.test(base) ? base : `s_${base}`.slice(0, 50);
}
