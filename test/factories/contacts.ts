import type { ContactJson } from '../../src/server/modules/contacts/contact.presenter.js';
import type { CreateContactInput } from '../../src/server/modules/contacts/contact.schema.js';
import { createContact } from '../../src/server/modules/contacts/contact.service.js';
import type { TestMember } from '../factories.js';
import type { TestApp } from '../helpers.js';

/**
 * A contact created through the service as `member` (so audit, events and the timeline entry are real).
 * Defaults: a Vietnamese name, no account, owned by `member`, no channels. Channels are given raw, as a
 * user would type them (`{ kind: 'phone', value: '0912 345 678' }`), and normalized like any input.
 */
export async function contactFor(
  t: TestApp,
  member: TestMember,
  overrides: CreateContactInput = {},
): Promise<ContactJson> {
  const input: CreateContactInput =
    overrides.display_name || overrides.first_name || overrides.last_name
      ? overrides
      : { last_name: 'Nguyễn', first_name: 'Thị Lan', ...overrides };
  return createContact(t.platform, { actor: member.actor, requestId: 'factory' }, input);
}
