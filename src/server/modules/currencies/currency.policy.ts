import { type Actor, can } from '../../platform/auth/actor.js';
import type { RateAbility } from './currency.schema.js';
import type { ExchangeRateRow } from './currency.table.js';

/**
 * Who may do what with exchange rates. Reading: every member (`crm.reports.view`, which every role
 * has): the rates explain every total they see. Writing: `crm.settings.manage` (admins, crm.admin
 * scope), not a pipeline or deal permission, because one rate silently changes every converted total of
 * the workspace (board columns, dashboard, forecasts): it is a workspace setting, like the base currency.
 */
export const RATE_READ = 'crm.reports.view' as const;
export const RATE_WRITE = 'crm.settings.manage' as const;

export function rateAbilities(actor: Actor, rate: Pick<ExchangeRateRow, 'deleted_at'>): RateAbility[] {
  if (rate.deleted_at || !can(actor, RATE_WRITE)) return [];
  return ['update', 'delete'];
}
