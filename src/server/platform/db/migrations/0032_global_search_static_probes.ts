import { type Kysely, sql } from 'kysely';

/**
 * The global search's account and contact functions (migration 0023) plan fewer statements (ADR 0026).
 * Each call ran up to five dynamic statements, and `EXECUTE` plans every one with its values (~0.25 ms
 * apiece on the bench host; a sparse name runs all five). The three whose plan never depends on the term
 * — the name-prefix range (tiers 0–1) and the name-order probe of tiers 2 and 3 (the first 2,000 names,
 * filtered) — become static statements, and the functions run with `plan_cache_mode =
 * force_generic_plan`, so a pooled connection plans them once. The index paths of a sparse tier (the
 * words index, the trigram index) stay dynamic: there the term decides the plan, and `EXECUTE` keeps
 * planning them with the actual values whatever the setting. Same tiers, same order, same answers: the
 * static probe tests tier 3's tokens with `LIKE ALL` of the same patterns the dynamic one spelled out.
 *
 * And no parallel workers inside them: a sparse tier keeps its first 200 matches before sorting them, and
 * under a parallel scan which 200 depended on the workers' timing — the same term gave different top
 * fives from one call to the next ("xay dung", "đức" on the bench data). Serial, the answer is stable,
 * and cheaper: starting workers for a 200-row read cost more than it saved ("xay dung" 11.0 → 3.9 ms).
 *
 * Both functions are edited where they are, in the catalog: each edit replaces one exact passage of the
 * text migration 0023 wrote (it must be found exactly once, or the migration fails), and `down` makes the
 * reverse edits, which restores 0023's text byte for byte. So this migration carries no second copy of
 * the generator.
 */

const FUNCTIONS = [
  { fn: 'crm_core.crm_account_quick_search(text, int)', table: 'crm_accounts' },
  { fn: 'crm_core.crm_contact_search(text, int)', table: 'crm_contacts' },
] as const;

function edits(table: string): Array<[string, string]> {
  return [
    [
      `
    v_words tsquery;
  BEGIN`,
      `
    v_words tsquery;
    v_token_pats text[];
  BEGIN`,
    ],
    [
      `
    v_token_cond := 'true';
    FOR i IN 1 .. coalesce(array_length(v_tokens, 1), 0) LOOP`,
      `
    v_token_cond := 'true';
    v_token_pats := ARRAY(SELECT '%' || crm_core.like_escape(t) || '%' FROM unnest(v_tokens) t);
    FOR i IN 1 .. coalesce(array_length(v_tokens, 1), 0) LOOP`,
    ],
    [
      `
    v_sql := 'SELECT a.id, CASE WHEN a.name_fold = $2 THEN 0 ELSE 1 END, a.name_fold'
      || ' FROM crm_core.${table} a WHERE a.tenant_id = $1 AND a.deleted_at IS NULL'
      || ' AND a.name_fold COLLATE "C" >= $2 COLLATE "C" AND a.name_fold COLLATE "C" < $5 COLLATE "C"'
      || ' AND a.name_fold LIKE $3 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6';
    RETURN QUERY EXECUTE v_sql
      USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit, NULL::uuid, NULL::text, v_words;`,
      `
    RETURN QUERY SELECT a.id, CASE WHEN a.name_fold = v_q THEN 0 ELSE 1 END, a.name_fold
      FROM crm_core.${table} a WHERE a.tenant_id = v_tenant AND a.deleted_at IS NULL
        AND a.name_fold COLLATE "C" >= v_q COLLATE "C" AND a.name_fold COLLATE "C" < v_next COLLATE "C"
        AND a.name_fold LIKE v_prefix ORDER BY a.name_fold COLLATE "C", a.id LIMIT v_limit;`,
    ],
    [
      `
      v_sql := format('SELECT array_agg(p.id ORDER BY p.name_fold COLLATE "C", p.id),'
        || ' array_agg(p.name_fold ORDER BY p.name_fold COLLATE "C", p.id) FROM (SELECT a.id, a.name_fold'
        || ' FROM (SELECT a.id, a.name_fold, a.search_text FROM crm_core.${table} a WHERE a.tenant_id = $1 AND a.deleted_at IS NULL'
        || ' ORDER BY a.name_fold COLLATE "C", a.id LIMIT 2000) a'
        || ' WHERE %s ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6) p', v_tier_cond);
      EXECUTE v_sql INTO v_ids, v_names
        USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got, NULL::uuid, NULL::text, v_words;`,
      `
      SELECT array_agg(p.id ORDER BY p.name_fold COLLATE "C", p.id),
          array_agg(p.name_fold ORDER BY p.name_fold COLLATE "C", p.id)
        INTO v_ids, v_names
        FROM (SELECT a.id, a.name_fold
              FROM (SELECT a.id, a.name_fold, a.search_text FROM crm_core.${table} a
                    WHERE a.tenant_id = v_tenant AND a.deleted_at IS NULL
                    ORDER BY a.name_fold COLLATE "C", a.id LIMIT 2000) a
              WHERE CASE WHEN v_tier = 2 THEN a.search_text LIKE v_word AND NOT a.name_fold LIKE v_prefix
                ELSE NOT a.search_text LIKE v_word AND NOT a.name_fold LIKE v_prefix
                  AND a.search_text LIKE ALL (v_token_pats) END
              ORDER BY a.name_fold COLLATE "C", a.id LIMIT v_limit - v_got) p;`,
    ],
  ];
}

function apply(text: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.reduce((acc, [from, to]) => {
    const n = acc.split(from).length - 1;
    if (n !== 1) throw new Error(`0032: expected one passage, found ${n}: ${from.trim().slice(0, 60)}`);
    return acc.replace(from, () => to);
  }, text);
}

async function definition(db: Kysely<unknown>, fn: string): Promise<string> {
  const r = await sql<{ def: string }>`SELECT pg_get_functiondef(${fn}::regprocedure) AS def`.execute(db);
  const def = r.rows[0]?.def;
  if (!def) throw new Error(`0032: no function ${fn}`);
  return def;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const { fn, table } of FUNCTIONS) {
    await sql.raw(apply(await definition(db, fn), edits(table))).execute(db);
    await sql
      .raw(
        `ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan SET max_parallel_workers_per_gather = 0`,
      )
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const { fn, table } of FUNCTIONS) {
    const reverse = edits(table)
      .map(([from, to]): [string, string] => [to, from])
      .reverse();
    await sql.raw(apply(await definition(db, fn), reverse)).execute(db);
    await sql
      .raw(`ALTER FUNCTION ${fn} RESET plan_cache_mode RESET max_parallel_workers_per_gather`)
      .execute(db);
  }
}
