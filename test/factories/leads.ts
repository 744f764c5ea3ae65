import type { LeadJson } from '../../src/server/modules/leads/lead.presenter.js';
import type { CreateLeadInput } from '../../src/server/modules/leads/lead.schema.js';
import { createLead } from '../../src/server/modules/leads/lead.service.js';
import type { TestMember } from '../factories.js';
import type { TestApp } from '../helpers.js';

/**
 * A lead created through the service as `member` (real normalization, audit and events), owned by the
 * member unless `owner_id` says otherwise. Defaults to a Vietnamese person at a company.
 */
export async function leadFor(
  t: TestApp,
  member: TestMember,
  overrides: Partial<CreateLeadInput> = {},
): Promise<LeadJson> {
  return createLead(
    t.platform,
    { actor: member.actor, requestId: 'factory' },
    { last_name: 'Trần', first_name: 'Minh Khoa', company_name: 'Công ty Bình Minh', ...overrides },
  );
}
