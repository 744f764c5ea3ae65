import { type Kysely, sql } from 'kysely';

/**
 * Tags on accounts and contacts (`text[]`, like deals since 0007): free labels a team filters and bulk-edits
 * lists by ("vip", "hội chợ 2026"). Normalized by the API (trimmed, NFC, deduplicated, at most 50 of 64
 * characters: src/shared/tags.ts), so the database stores them as given.
 *
 * - A GIN index on (tenant_id, tags) per table (btree_gin, loaded by 0001) serves `tags @> ARRAY[...]`
 *   filters within one workspace. crm_accounts is hash-partitioned (0004): the column and the index are
 *   declared on the parent and PostgreSQL creates one per partition.
 * - The account search function filters through `crm_account_search_where` (0002); it learns a `tags`
 *   filter here so `?q=…&tag=…` keeps working through the SECURITY DEFINER search. `down` restores 0002's
 *   body verbatim.
 */

const SEARCH_WHERE_HEAD = `
  CREATE OR REPLACE FUNCTION crm_core.crm_account_search_where(p_tokens text[], p_filters jsonb)
    RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
  DECLARE
    w text := 'a.tenant_id = $1';
    i int;
  BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tokens, 1), 0) LOOP
      w := w || format(' AND a.search_text LIKE %L', '%' || crm_core.like_escape(p_tokens[i]) || '%');
    END LOOP;
    CASE coalesce(p_filters->>'deleted', 'exclude')
      WHEN 'only' THEN w := w || ' AND a.deleted_at IS NOT NULL';
      WHEN 'include' THEN NULL;
      ELSE w := w || ' AND a.deleted_at IS NULL';
    END CASE;
    IF p_filters ? 'owner_id' THEN
      IF p_filters->>'owner_id' IS NULL THEN w := w || ' AND a.owner_id IS NULL';
      ELSE w := w || ' AND a.owner_id = ($2->>''owner_id'')::uuid'; END IF;
    END IF;
    IF p_filters ? 'lifecycle' THEN w := w || ' AND a.lifecycle = $2->>''lifecycle'''; END IF;
    IF p_filters ? 'legal_type' THEN w := w || ' AND a.legal_type = $2->>''legal_type'''; END IF;
    IF p_filters ? 'industry' THEN w := w || ' AND a.industry = $2->>''industry'''; END IF;
    IF p_filters ? 'country' THEN w := w || ' AND a.country = $2->>''country'''; END IF;`;

const SEARCH_WHERE_TAIL = `
    RETURN w;
  END
  $fn$;`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_accounts ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
  ALTER TABLE crm_core.crm_contacts ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
  CREATE INDEX crm_accounts_tags_idx ON crm_core.crm_accounts USING gin (tenant_id, tags);
  CREATE INDEX crm_contacts_tags_idx ON crm_core.crm_contacts USING gin (tenant_id, tags);
  ${SEARCH_WHERE_HEAD}
    -- Every listed tag (bound as $2, never concatenated).
    IF p_filters ? 'tags' THEN
      w := w || ' AND a.tags @> ARRAY(SELECT jsonb_array_elements_text($2->''tags''))';
    END IF;${SEARCH_WHERE_TAIL}
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ${SEARCH_WHERE_HEAD}${SEARCH_WHERE_TAIL}
  DROP INDEX crm_core.crm_contacts_tags_idx;
  DROP INDEX crm_core.crm_accounts_tags_idx;
  ALTER TABLE crm_core.crm_contacts DROP COLUMN tags;
  ALTER TABLE crm_core.crm_accounts DROP COLUMN tags;
  `)
    .execute(db);
}
