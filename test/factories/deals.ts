import type { DealJson } from '../../src/server/modules/deals/deal.presenter.js';
import { type CreateDealInput, createDealSchema } from '../../src/server/modules/deals/deal.schema.js';
import { createDeal } from '../../src/server/modules/deals/deal.service.js';
import { newId } from '../../src/server/platform/ids.js';
import type { TestMember } from '../factories.js';
import type { TestApp } from '../helpers.js';

/**
 * A deal created through the service as `member` (so audit, outbox, stage history and the timeline are
 * written as in production). Defaults: the workspace's default pipeline and its first open stage, the
 * member as owner, VND (the base currency). `overrides` takes the POST /deals body fields.
 */
export async function dealFor(
  t: TestApp,
  member: TestMember,
  overrides: Partial<CreateDealInput> = {},
): Promise<DealJson> {
  const input = createDealSchema.parse({ name: `Deal ${newId().slice(-12)}`, ...overrides });
  return createDeal(t.platform, { actor: member.actor, requestId: 'factory' }, input);
}
