import type { AccountTables } from './modules/accounts/account.table.js';
import type { ActivityTables } from './modules/activities/activity.table.js';
import type { ContactTables } from './modules/contacts/contact.table.js';
import type { CurrencyTables } from './modules/currencies/currency.table.js';
import type { DealTables } from './modules/deals/deal.table.js';
import type { InboundTables } from './modules/inbound/inbound.table.js';
import type { LeadTables } from './modules/leads/lead.table.js';
import type { PipelineTables } from './modules/pipelines/pipeline.table.js';
import type { UserTables } from './modules/users/user.table.js';
import type { VietnamTables } from './modules/vietnam/vietnam.table.js';
import type { WebhookTables } from './modules/webhooks/webhook.table.js';
import type { WorkflowTables } from './modules/workflows/workflow.table.js';
import type { WorkspaceTables } from './modules/workspaces/workspace.table.js';
import type { Database } from './platform/db/database.js';
import type { Platform } from './platform/platform.js';

/**
 * The database as the modules see it: every module's tables. Platform tables (audit, outbox,
 * idempotency) are reached only through platform functions and are not part of this type on purpose.
 */
export interface DB
  extends WorkspaceTables,
    UserTables,
    AccountTables,
    ContactTables,
    PipelineTables,
    DealTables,
    CurrencyTables,
    ActivityTables,
    WebhookTables,
    VietnamTables,
    InboundTables,
    LeadTables,
    WorkflowTables {}

export type AppDatabase = Database<DB>;
export type AppPlatform = Platform<DB>;
