/**
 * Roles, scopes and the permission matrix. Shared with the web app so the settings screen can show
 * the matrix, but every decision is made on the server (the UI receives computed abilities).
 */

export const ROLES = ['admin', 'manager', 'sales_rep', 'support', 'marketing', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Coarse capabilities carried by tokens and API keys; checked at the edge of every route. */
export const SCOPES = [
  'crm.read',
  'crm.write',
  'crm.close',
  'crm.payment',
  'crm.contact.merge',
  'crm.export',
  'crm.admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Fine-grained permissions (seed 002 §6, "customer" renamed "account" per DESIGN). Each one needs a
 * scope, so an API key limited to `crm.read` can never write even if its creator is an admin.
 */
export const PERMISSION_SCOPE = {
  'crm.account.view': 'crm.read',
  'crm.account.create': 'crm.write',
  'crm.account.update': 'crm.write',
  'crm.account.delete': 'crm.write',
  'crm.contact.view': 'crm.read',
  'crm.contact.create': 'crm.write',
  'crm.contact.update': 'crm.write',
  'crm.contact.delete': 'crm.write',
  'crm.contact.merge': 'crm.contact.merge',
  'crm.lead.view': 'crm.read',
  'crm.lead.create': 'crm.write',
  'crm.lead.update': 'crm.write',
  'crm.lead.convert': 'crm.write',
  'crm.lead.delete': 'crm.write',
  'crm.lead.assign': 'crm.write',
  'crm.lead.score': 'crm.write',
  'crm.lead.disqualify': 'crm.write',
  'crm.deal.view': 'crm.read',
  'crm.deal.create': 'crm.write',
  'crm.deal.update': 'crm.write',
  'crm.deal.delete': 'crm.write',
  'crm.deal.stage_change': 'crm.write',
  'crm.deal.close': 'crm.close',
  'crm.pipeline.view': 'crm.read',
  'crm.pipeline.create': 'crm.admin',
  'crm.pipeline.update': 'crm.admin',
  'crm.pipeline.delete': 'crm.admin',
  'crm.activity.view': 'crm.read',
  'crm.activity.create': 'crm.write',
  'crm.activity.update': 'crm.write',
  'crm.activity.delete': 'crm.write',
  'crm.activity.assign': 'crm.write',
  'crm.payment.request': 'crm.payment',
  'crm.export': 'crm.export',
  'crm.reports.view': 'crm.read',
  'crm.reports.export': 'crm.export',
  'crm.settings.manage': 'crm.admin',
  'crm.members.manage': 'crm.admin',
  'crm.apikeys.manage': 'crm.admin',
  'crm.audit.view': 'crm.admin',
} as const satisfies Record<string, Scope>;

export type Permission = keyof typeof PERMISSION_SCOPE;
export const PERMISSIONS = Object.keys(PERMISSION_SCOPE) as Permission[];

const VIEW: Permission[] = PERMISSIONS.filter((p) => p.endsWith('.view'));
const ADMIN_ONLY: Permission[] = [
  'crm.settings.manage',
  'crm.members.manage',
  'crm.apikeys.manage',
  'crm.audit.view',
  'crm.pipeline.create',
  'crm.pipeline.update',
  'crm.pipeline.delete',
];

/**
 * Role → permissions. Record-level rules (own vs. all) are not here: they are policy functions in each
 * module's `*.policy.ts`. See docs/decisions/0006-authorization.md for the deviations from seed 002.
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  manager: new Set(PERMISSIONS.filter((p) => !ADMIN_ONLY.includes(p))),
  sales_rep: new Set<Permission>([
    ...VIEW,
    'crm.account.create',
    'crm.account.update',
    'crm.account.delete',
    'crm.contact.create',
    'crm.contact.update',
    'crm.contact.delete',
    'crm.lead.create',
    'crm.lead.update',
    'crm.lead.convert',
    'crm.lead.disqualify',
    'crm.deal.create',
    'crm.deal.update',
    'crm.deal.delete',
    'crm.deal.stage_change',
    'crm.deal.close',
    'crm.activity.create',
    'crm.activity.update',
    'crm.activity.delete',
    'crm.payment.request',
  ]),
  support: new Set<Permission>([
    ...VIEW,
    'crm.contact.create',
    'crm.contact.update',
    'crm.account.update',
    'crm.activity.create',
    'crm.activity.update',
  ]),
  marketing: new Set<Permission>([
    ...VIEW,
    'crm.account.create',
    'crm.contact.create',
    'crm.contact.update',
    'crm.lead.create',
    'crm.lead.update',
    'crm.lead.assign',
    'crm.lead.score',
    'crm.lead.disqualify',
    'crm.activity.create',
    'crm.export',
    'crm.reports.export',
  ]),
  viewer: new Set<Permission>(VIEW),
};

/** Roles that write every record of the workspace, not only their own or unclaimed ones. */
export const WRITE_ALL_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'manager']);
