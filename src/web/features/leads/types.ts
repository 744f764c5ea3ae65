import type {
  GetCrmV1LeadsByIdResponse,
  PostCrmV1LeadsByIdConvertData,
  PostCrmV1LeadsData,
} from '../../../shared/api-client/types.gen.js';

/** API shapes, named once for this feature. */
export type Lead = GetCrmV1LeadsByIdResponse;
export type LeadBody = PostCrmV1LeadsData['body'];
export type LeadStatus = Lead['status'];
export type LeadSource = Lead['source'];
export type ConvertBody = PostCrmV1LeadsByIdConvertData['body'];

export const LEAD_STATUSES: readonly LeadStatus[] = [
  'new',
  'contacted',
  'qualified',
  'disqualified',
  'converted',
];
export const LEAD_SOURCES: readonly LeadSource[] = [
  'website',
  'referral',
  'event',
  'cold_call',
  'partner',
  'social',
  'email_campaign',
  'inbound_email',
  'other',
];

/** Badge class per status, so the list and the panel colour them alike. */
export function statusBadge(status: LeadStatus): string {
  if (status === 'qualified') return 'badge badge-success';
  if (status === 'disqualified') return 'badge badge-hot';
  if (status === 'converted') return 'badge badge-overdue';
  return 'badge';
}
