import type {
  GetCrmV1AccountsByIdResponse,
  GetCrmV1AccountsResponse,
  PostCrmV1AccountsData,
} from '../../../shared/api-client/types.gen.js';

/** API shapes named once for this feature (the generated types have no named Account schema). */
export type AccountListItem = GetCrmV1AccountsResponse['data'][number];
export type Account360 = GetCrmV1AccountsByIdResponse;
export type AccountBody = PostCrmV1AccountsData['body'];
export type AddressBody = NonNullable<AccountBody['addresses']>[number];
export type LegalType = AccountListItem['legal_type'];
export type Lifecycle = AccountListItem['lifecycle'];
export type MstStatus = AccountListItem['mst_status'];
export type AddressKind = AccountListItem['addresses'][number]['kind'];

export const LEGAL_TYPES: readonly LegalType[] = [
  'sole_proprietor',
  'llc',
  'jsc',
  'fdi',
  'individual',
  'other',
];
export const LIFECYCLES: readonly Lifecycle[] = [
  'lead',
  'prospect',
  'customer',
  'partner',
  'former_customer',
  'other',
];
export const ADDRESS_KINDS: readonly AddressKind[] = [
  'headquarters',
  'billing',
  'shipping',
  'branch',
  'other',
];
