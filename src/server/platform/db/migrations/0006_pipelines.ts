import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * Pipelines, their stages and their transition rules, all as data (seed 000 §7).
 *
 * - A stage has a category (open | won | lost, as in the seed) and, when closed, the outcome a deal gets
 *   on entering it (won | lost | cancelled: "cancelled" is a lost-category stage whose deals end
 *   cancelled, not lost).
 * - Rules: `crm_pipeline_transitions` lists the allowed from→to moves (when the pipeline enforces them);
 *   each stage lists the deal fields required to enter it and the roles allowed to move deals into it.
 *   Entering a lost-outcome stage always needs a lost reason (checked by the rule evaluator, and by a
 *   CHECK on deals).
 * - Stages are soft-deleted: stage-transition history keeps pointing at them.
 *
 * `crm_create_default_pipeline` builds the default sales pipeline for one workspace; sign-up calls it and
 * this migration runs it for every workspace that existed before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  -- UUIDv7 in SQL (PostgreSQL 15 has no uuidv7()): 48-bit Unix milliseconds, version and variant bits.
  CREATE FUNCTION crm_core.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
      PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
      FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid $$;
  GRANT EXECUTE ON FUNCTION crm_core.uuid_v7() TO crm_app, crm_system;

  CREATE TABLE crm_core.crm_pipelines (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind text NOT NULL DEFAULT 'sales' CHECK (kind IN ('sales','partner','inbound','outbound','custom')),
    is_default boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    -- false: any stage may follow any other (a free-form board); roles and required fields still apply.
    enforce_transitions boolean NOT NULL DEFAULT true,
    ${businessColumns},
    PRIMARY KEY (tenant_id, id)
  );
  ${tenantRls('crm_pipelines')}
  CREATE UNIQUE INDEX crm_pipelines_default_idx ON crm_core.crm_pipelines (tenant_id)
    WHERE is_default AND deleted_at IS NULL;
  CREATE UNIQUE INDEX crm_pipelines_name_idx ON crm_core.crm_pipelines (tenant_id, lower(name))
    WHERE deleted_at IS NULL;

  CREATE TABLE crm_core.crm_pipeline_stages (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    pipeline_id uuid NOT NULL,
    code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,49}$'),
    name_vi text NOT NULL CHECK (length(name_vi) BETWEEN 1 AND 100),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    position integer NOT NULL,
    default_probability integer NOT NULL CHECK (default_probability BETWEEN 0 AND 100),
    category text NOT NULL CHECK (category IN ('open','won','lost')),
    outcome text CHECK (outcome IN ('won','lost','cancelled')),
    required_fields text[] NOT NULL DEFAULT '{}',
    allowed_roles text[] NOT NULL DEFAULT '{}',
    -- Days a deal may sit here before the board marks it as stalled; null: never.
    rotting_days integer CHECK (rotting_days BETWEEN 1 AND 3650),
    ${businessColumns},
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pipeline_id) REFERENCES crm_core.crm_pipelines (tenant_id, id),
    CHECK ((category = 'open' AND outcome IS NULL) OR (category = 'won' AND outcome = 'won')
      OR (category = 'lost' AND outcome IN ('lost','cancelled')))
  );
  ${tenantRls('crm_pipeline_stages')}
  CREATE UNIQUE INDEX crm_pipeline_stages_code_idx ON crm_core.crm_pipeline_stages (tenant_id, pipeline_id, code)
    WHERE deleted_at IS NULL;
  CREATE INDEX crm_pipeline_stages_pipeline_idx ON crm_core.crm_pipeline_stages (tenant_id, pipeline_id, position);

  CREATE TABLE crm_core.crm_pipeline_transitions (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    pipeline_id uuid NOT NULL,
    from_stage_id uuid NOT NULL,
    to_stage_id uuid NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, pipeline_id, from_stage_id, to_stage_id),
    CHECK (from_stage_id <> to_stage_id),
    FOREIGN KEY (tenant_id, pipeline_id) REFERENCES crm_core.crm_pipelines (tenant_id, id),
    FOREIGN KEY (tenant_id, from_stage_id) REFERENCES crm_core.crm_pipeline_stages (tenant_id, id),
    FOREIGN KEY (tenant_id, to_stage_id) REFERENCES crm_core.crm_pipeline_stages (tenant_id, id)
  );
  ${tenantRls('crm_pipeline_transitions')}

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_pipelines, crm_core.crm_pipeline_stages TO crm_app;
  GRANT SELECT, INSERT, DELETE ON crm_core.crm_pipeline_transitions TO crm_app;
  GRANT SELECT ON crm_core.crm_pipelines, crm_core.crm_pipeline_stages TO crm_search;

  -- The default sales pipeline of seed 000 §7, with its lifecycle diagram as the allowed moves, plus a
  -- step back between neighbouring open stages (ADR 0012). Runs as the caller (RLS applies).
  CREATE FUNCTION crm_core.crm_create_default_pipeline(p_tenant uuid, p_actor uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE AS $fn$
  DECLARE
    v_pipeline uuid := crm_core.uuid_v7();
  BEGIN
    INSERT INTO crm_core.crm_pipelines (tenant_id, id, name, kind, is_default, position, created_by, updated_by)
    VALUES (p_tenant, v_pipeline, 'Sales', 'sales', true, 0, p_actor, p_actor);

    INSERT INTO crm_core.crm_pipeline_stages (tenant_id, id, pipeline_id, code, name_vi, name_en, position,
      default_probability, category, outcome, required_fields, rotting_days, created_by, updated_by)
    SELECT p_tenant, crm_core.uuid_v7(), v_pipeline, s.code, s.name_vi, s.name_en, s.pos, s.prob, s.category,
      s.outcome, s.required, s.rotting, p_actor, p_actor
    FROM (VALUES
      ('qualifying',  'Đánh giá', 'Qualifying',  0, 10,  'open', NULL,        '{}'::text[], 14),
      ('discovery',   'Khám phá', 'Discovery',   1, 25,  'open', NULL,        '{}'::text[], 21),
      ('proposal',    'Đề xuất',  'Proposal',    2, 50,  'open', NULL,
        '{amount,primary_contact_id}'::text[], 21),
      ('negotiation', 'Đàm phán', 'Negotiation', 3, 75,  'open', NULL,
        '{amount,primary_contact_id,expected_close_date}'::text[], 30),
      ('closed_won',  'Thắng',    'Closed Won',  4, 100, 'won',  'won',
        '{account_id,amount,primary_contact_id}'::text[], NULL),
      ('closed_lost', 'Thua',     'Closed Lost', 5, 0,   'lost', 'lost',      '{lost_reason}'::text[], NULL),
      ('cancelled',   'Huỷ',      'Cancelled',   6, 0,   'lost', 'cancelled', '{}'::text[], NULL)
    ) AS s(code, name_vi, name_en, pos, prob, category, outcome, required, rotting);

    INSERT INTO crm_core.crm_pipeline_transitions (tenant_id, pipeline_id, from_stage_id, to_stage_id, created_by)
    SELECT p_tenant, v_pipeline, f.id, t.id, p_actor
    FROM (VALUES
      ('qualifying', 'discovery'), ('discovery', 'proposal'), ('proposal', 'negotiation'),
      ('negotiation', 'closed_won'), ('negotiation', 'closed_lost'), ('negotiation', 'cancelled'),
      ('discovery', 'closed_lost'), ('proposal', 'closed_lost'), ('qualifying', 'cancelled'),
      ('discovery', 'qualifying'), ('proposal', 'discovery'), ('negotiation', 'proposal')
    ) AS m(from_code, to_code)
    JOIN crm_core.crm_pipeline_stages f
      ON f.tenant_id = p_tenant AND f.pipeline_id = v_pipeline AND f.code = m.from_code
    JOIN crm_core.crm_pipeline_stages t
      ON t.tenant_id = p_tenant AND t.pipeline_id = v_pipeline AND t.code = m.to_code;
    RETURN v_pipeline;
  END
  $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.crm_create_default_pipeline(uuid, uuid) TO crm_app;
  `)
    .execute(db);

  // Workspaces created before this migration get theirs too. RLS is forced even for the owner, and the
  // migrating role need not be a superuser, so each workspace is set before its pipeline is written.
  await sql
    .raw(`
  DO $backfill$
  DECLARE w record;
  BEGIN
    FOR w IN SELECT id, created_by FROM crm_core.crm_workspaces ORDER BY id LOOP
      PERFORM set_config('app.tenant_id', w.id::text, true);
      PERFORM crm_core.crm_create_default_pipeline(w.id, w.created_by);
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
  END
  $backfill$;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION crm_core.crm_create_default_pipeline(uuid, uuid);
  DROP TABLE crm_core.crm_pipeline_transitions;
  DROP TABLE crm_core.crm_pipeline_stages;
  DROP TABLE crm_core.crm_pipelines;
  DROP FUNCTION crm_core.uuid_v7();
  `)
    .execute(db);
}
