import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * Signed outbound webhooks (ADR 0014): per-workspace subscriptions, one delivery row per (subscription,
 * event), and one attempt row per HTTP try.
 *
 * - `crm_webhook_subscriptions.secret` holds `whsec_…` as is, or `enc:v1:…` (AES-256-GCM under
 *   WEBHOOK_SECRET_KEY) when a key is configured; the signer needs the secret itself, so it cannot be hashed.
 *   `previous_secret` keeps signing for a grace period after a rotation.
 * - `crm_webhook_deliveries` is the durable queue: UNIQUE (tenant_id, subscription_id, event_id) makes the
 *   fan-out idempotent under the relay's at-least-once publishing. The dispatcher claims due rows across
 *   workspaces as crm_system (FOR UPDATE SKIP LOCKED + lease) and records outcomes in the workspace's scope.
 * - `crm_webhook_attempts` is append-only history (status, latency, error, truncated response).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_webhook_subscriptions (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description text CHECK (length(description) <= 500),
    event_types text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
    active boolean NOT NULL DEFAULT true,
    secret text NOT NULL CHECK (length(secret) <= 512),
    previous_secret text CHECK (length(previous_secret) <= 512),
    previous_secret_expires_at timestamptz(3),
    secret_rotated_at timestamptz(3),
    -- Dead letters in a row; reset by any delivered message. Drives the optional auto-disable.
    consecutive_dead integer NOT NULL DEFAULT 0,
    disabled_reason text CHECK (length(disabled_reason) <= 200),
    disabled_at timestamptz(3),
    ${businessColumns},
    PRIMARY KEY (tenant_id, id)
  );
  ${tenantRls('crm_webhook_subscriptions')}
  CREATE INDEX crm_webhook_subscriptions_list_idx
    ON crm_core.crm_webhook_subscriptions (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

  CREATE TABLE crm_core.crm_webhook_deliveries (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending','failed','delivered','dead','cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    -- Per row: a manual redelivery of a dead letter grants it one more try without rewriting history.
    max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 1000),
    next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
    locked_until timestamptz(3),
    last_status_code integer,
    last_error text CHECK (length(last_error) <= 2000),
    delivered_at timestamptz(3),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, subscription_id, event_id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES crm_core.crm_webhook_subscriptions (tenant_id, id)
  );
  ${tenantRls('crm_webhook_deliveries')}
  CREATE INDEX crm_webhook_deliveries_due_idx ON crm_core.crm_webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending','failed');
  CREATE INDEX crm_webhook_deliveries_list_idx
    ON crm_core.crm_webhook_deliveries (tenant_id, subscription_id, created_at DESC, id DESC);
  CREATE INDEX crm_webhook_deliveries_finished_idx ON crm_core.crm_webhook_deliveries (updated_at)
    WHERE status IN ('delivered','dead','cancelled');

  CREATE TABLE crm_core.crm_webhook_attempts (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL CHECK (attempt >= 1),
    started_at timestamptz(3) NOT NULL,
    ip text,
    status_code integer,
    latency_ms integer NOT NULL CHECK (latency_ms >= 0),
    outcome text NOT NULL CHECK (outcome IN ('delivered','failed')),
    error text CHECK (length(error) <= 2000),
    response_body text CHECK (length(response_body) <= 4096),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES crm_core.crm_webhook_deliveries (tenant_id, id)
      ON DELETE CASCADE
  );
  ${tenantRls('crm_webhook_attempts')}
  CREATE INDEX crm_webhook_attempts_delivery_idx ON crm_core.crm_webhook_attempts (tenant_id, delivery_id, attempt);

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_webhook_subscriptions, crm_core.crm_webhook_deliveries TO crm_app;
  GRANT SELECT, INSERT ON crm_core.crm_webhook_attempts TO crm_app;
  -- The dispatcher claims due deliveries across workspaces and prunes finished ones.
  GRANT SELECT ON crm_core.crm_webhook_subscriptions TO crm_system;
  GRANT SELECT, UPDATE, DELETE ON crm_core.crm_webhook_deliveries TO crm_system;
  GRANT SELECT, DELETE ON crm_core.crm_webhook_attempts TO crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_webhook_attempts;
  DROP TABLE crm_core.crm_webhook_deliveries;
  DROP TABLE crm_core.crm_webhook_subscriptions;
  `)
    .execute(db);
}
