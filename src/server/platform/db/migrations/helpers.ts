/**
 * SQL fragments shared by migrations from 0005 on. A migration's SQL must never change once released,
 * so a fragment here is only ever added to, never edited (0001–0004 keep their own copies).
 */

/** Enables and forces RLS on a tenant table with the standard workspace policy. */
export const tenantRls = (table: string, column = 'tenant_id'): string => `
  ALTER TABLE crm_core.${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_tenant_isolation ON crm_core.${table}
    USING (${column} = crm_core.current_tenant_id())
    WITH CHECK (${column} = crm_core.current_tenant_id());
`;

/** The audit columns of every business table (DESIGN §5); millisecond precision for keyset cursors. */
export const businessColumns = `
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    updated_by uuid,
    version integer NOT NULL DEFAULT 1,
    deleted_at timestamptz(3)`;

export const BUYING_ROLE_CHECK = `IN ('decision_maker','influencer','technical','finance','user','gatekeeper')`;
