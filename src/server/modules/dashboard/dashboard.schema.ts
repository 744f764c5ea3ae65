import { z } from 'zod';
import { moneyTotalSchema } from '../currencies/currency.schema.js';

export const dashboardQuerySchema = z
  .object({
    owner_id: z
      .union([z.literal('me'), z.uuid()])
      .optional()
      .describe('Only deals and tasks of this owner (`me` for yourself)'),
    pipeline_id: z.uuid().optional().describe('Only deals of this pipeline'),
  })
  .strict();
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

export const dashboardResponseSchema = z.object({
  as_of: z.string().describe('Date the figures are for, in the workspace time zone (YYYY-MM-DD)'),
  time_zone: z.string(),
  currency: z.string(),
  accounts: z.object({
    total: z.number().int(),
    customers: z.number().int(),
    new_this_month: z.number().int(),
  }),
  contacts: z.object({ total: z.number().int(), new_this_month: z.number().int() }),
  deals: z.object({
    total: z.number().int(),
    open: z.number().int(),
    open_value: moneyTotalSchema,
    weighted_value: moneyTotalSchema.describe('Σ amount × probability of open deals'),
    won_this_month: z.number().int(),
    won_value_this_month: moneyTotalSchema.describe('Each deal at the rate valid on the day it closed'),
    lost_this_month: z.number().int(),
    win_rate_90d: z
      .number()
      .nullable()
      .describe('Won ÷ (won + lost) among deals closed in the last 90 days; null when none closed'),
  }),
  forecast: z
    .array(
      z.object({
        month: z.string().describe('YYYY-MM of the expected close date; `overdue` or `unscheduled`'),
        count: z.number().int(),
        value: moneyTotalSchema,
        weighted_value: moneyTotalSchema,
      }),
    )
    .describe('Open deals by expected close month: overdue, this month and the next five, unscheduled'),
  activities: z.object({
    open_tasks: z.number().int(),
    due_today: z.number().int(),
    overdue: z.number().int(),
    completed_today: z.number().int(),
    logged_this_week: z.number().int(),
  }),
});
export type DashboardJson = z.infer<typeof dashboardResponseSchema>;
