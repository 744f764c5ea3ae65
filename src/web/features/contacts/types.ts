import type {
  GetCrmV1ContactsByIdResponse,
  GetCrmV1ContactsResponse,
  PostCrmV1ContactsData,
} from '../../../shared/api-client/types.gen.js';

/** API shapes, named once for this feature (the generated types have no named Contact schema). */
export type Contact = GetCrmV1ContactsByIdResponse;
export type ContactListItem = GetCrmV1ContactsResponse['data'][number];
export type ContactChannel = Contact['channels'][number];
export type ChannelKind = ContactChannel['kind'];
export type BuyingRole = NonNullable<Contact['buying_role']>;
export type ContactBody = PostCrmV1ContactsData['body'];

export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'phone', 'linkedin', 'telegram', 'zalo'];
export const BUYING_ROLES: readonly BuyingRole[] = [
  'decision_maker',
  'influencer',
  'technical',
  'finance',
  'user',
  'gatekeeper',
];
