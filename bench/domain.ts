import autocannon from 'autocannon';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppDatabase, DB } from '../src/server/db.js';
import { type LoadResult, runLoad } from './load.js';
import { log } from './log.js';
import { type LatencySummary, round, summarize } from './stats.js';

/**
 * Pipeline scenarios of issue 3 in the measured workspace:
 * - the board of a pipeline holding exactly BOARD_DEALS deals (`GET /pipelines/:id/board`), p95;
 * - deal moves through the real endpoint (`POST /deals/:id/move` with the deal's version), each one a
 *   transaction with the rule check, the stage-history row, the timeline entry, the audit row and the
 *   outbox event — sustained moves per second at N connections, each connection owning its own deals so
 *   there are no version conflicts (a conflict would be a 409 and is counted as a failure).
 * The two pipelines are copies of the default sales pipeline, made once (found by name afterwards).
 */

export const BOARD_DEALS = 200;
const BOARD_PIPELINE = 'Bench board';
const MOVES_PIPELINE = 'Bench moves';

export interface DomainData {
  boardPipelineId: string;
  movesPipelineId: string;
  /** Deals of the moves pipeline, each with the two stages it shuttles between. */
  moveDeals: Array<{ id: string }>;
  qualifyingId: string;
  discoveryId: string;
}

/** Copies the default pipeline (stages and allowed moves) under a new name, with `deals` deals in it. */
async function ensurePipeline(
  db: AppDatabase,
  tenantId: string,
  ownerId: string,
  name: string,
  deals: number,
): Promise<string> {
  return db.owner(async (k) => {
    const found = await sql<{ id: string }>`SELECT id FROM crm_core.crm_pipelines
      WHERE tenant_id = ${tenantId}::uuid AND name = ${name} AND deleted_at IS NULL`.execute(k);
    const existing = found.rows[0]?.id;
    if (existing) {
      // After `--reseed` the accounts (and so the deals) were replaced: put the deals back.
      const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_deals
        WHERE tenant_id = ${tenantId}::uuid AND pipeline_id = ${existing}::uuid`.execute(k);
      if (Number(n.rows[0]?.n ?? 0) === 0) await insertDeals(k, tenantId, ownerId, existing, deals);
      return existing;
    }
    const created = await sql<{ id: string }>`
      WITH p AS (INSERT INTO crm_core.crm_pipelines (tenant_id, id, name, kind, is_default, position, created_by)
                 VALUES (${tenantId}::uuid, crm_core.uuid_v7(), ${name}, 'sales', false, 9, ${ownerId}::uuid)
                 RETURNING id)
      SELECT id FROM p`.execute(k);
    const pipelineId = created.rows[0]?.id;
    if (!pipelineId) throw new Error('pipeline not created');
    await sql`
      WITH src AS (SELECT s.* FROM crm_core.crm_pipeline_stages s JOIN crm_core.crm_pipelines p
                     ON p.tenant_id = s.tenant_id AND p.id = s.pipeline_id AND p.is_default AND p.deleted_at IS NULL
                   WHERE s.tenant_id = ${tenantId}::uuid AND s.deleted_at IS NULL)
      INSERT INTO crm_core.crm_pipeline_stages (tenant_id, id, pipeline_id, code, name_vi, name_en, position,
        default_probability, category, outcome, required_fields, allowed_roles, rotting_days, created_by)
      SELECT tenant_id, crm_core.uuid_v7(), ${pipelineId}::uuid, code, name_vi, name_en, position,
        default_probability, category, outcome, required_fields, allowed_roles, rotting_days, created_by
      FROM src`.execute(k);
    await sql`
      INSERT INTO crm_core.crm_pipeline_transitions (tenant_id, pipeline_id, from_stage_id, to_stage_id)
      SELECT t.tenant_id, ${pipelineId}::uuid, nf.id, nt.id
      FROM crm_core.crm_pipeline_transitions t
      JOIN crm_core.crm_pipelines p ON p.tenant_id = t.tenant_id AND p.id = t.pipeline_id AND p.is_default
        AND p.deleted_at IS NULL
      JOIN crm_core.crm_pipeline_stages f ON f.tenant_id = t.tenant_id AND f.id = t.from_stage_id
      JOIN crm_core.crm_pipeline_stages tt ON tt.tenant_id = t.tenant_id AND tt.id = t.to_stage_id
      JOIN crm_core.crm_pipeline_stages nf ON nf.tenant_id = t.tenant_id AND nf.pipeline_id = ${pipelineId}::uuid
        AND nf.code = f.code
      JOIN crm_core.crm_pipeline_stages nt ON nt.tenant_id = t.tenant_id AND nt.pipeline_id = ${pipelineId}::uuid
        AND nt.code = tt.code
      WHERE t.tenant_id = ${tenantId}::uuid`.execute(k);
    await insertDeals(k, tenantId, ownerId, pipelineId, deals);
    return pipelineId;
  });
}

/** Open deals over the four open stages, with accounts, amounts in VND and USD and close dates. */
async function insertDeals(
  k: Kysely<DB>,
  tenantId: string,
  ownerId: string,
  pipelineId: string,
  deals: number,
): Promise<void> {
  await sql`
      WITH st AS (SELECT id, default_probability, row_number() OVER (ORDER BY position) AS k
                  FROM crm_core.crm_pipeline_stages WHERE tenant_id = ${tenantId}::uuid
                    AND pipeline_id = ${pipelineId}::uuid AND category = 'open'),
      acc AS (SELECT id, name, row_number() OVER (ORDER BY id) AS rn FROM crm_core.crm_accounts
              WHERE tenant_id = ${tenantId}::uuid LIMIT ${deals}::int)
      INSERT INTO crm_core.crm_deals (tenant_id, id, account_id, name, amount_minor, currency, pipeline_id,
        stage_id, probability, expected_close_date, owner_id, custom_fields, created_by, updated_by,
        stage_entered_at)
      SELECT ${tenantId}::uuid, crm_core.uuid_v7(), acc.id, 'Cơ hội ' || acc.rn || ' – ' || acc.name,
        CASE WHEN acc.rn % 5 = 0 THEN 500000 + acc.rn * 100 ELSE 50000000 + acc.rn * 1000000 END,
        CASE WHEN acc.rn % 5 = 0 THEN 'USD' ELSE 'VND' END,
        ${pipelineId}::uuid, st.id, st.default_probability, current_date + (acc.rn % 90)::int,
        ${ownerId}::uuid, '{}'::jsonb, ${ownerId}::uuid, ${ownerId}::uuid, now() - (acc.rn % 40) * interval '1 day'
      FROM acc JOIN st ON st.k = 1 + (acc.rn % (SELECT count(*) FROM st))`.execute(k);
}

export async function ensureDomainData(
  db: AppDatabase,
  tenantId: string,
  ownerId: string,
  moveDeals: number,
): Promise<DomainData> {
  const boardPipelineId = await ensurePipeline(db, tenantId, ownerId, BOARD_PIPELINE, BOARD_DEALS);
  const movesPipelineId = await ensurePipeline(db, tenantId, ownerId, MOVES_PIPELINE, moveDeals);
  return db.owner(async (k) => {
    const stages = await sql<{ id: string; code: string }>`SELECT id, code FROM crm_core.crm_pipeline_stages
      WHERE tenant_id = ${tenantId}::uuid AND pipeline_id = ${movesPipelineId}::uuid AND deleted_at IS NULL`.execute(
      k,
    );
    const byCode = new Map(stages.rows.map((s) => [s.code, s.id]));
    const qualifyingId = byCode.get('qualifying');
    const discoveryId = byCode.get('discovery');
    if (!qualifyingId || !discoveryId) throw new Error('moves pipeline lacks qualifying/discovery');
    // Every moves deal starts in qualifying (a previous run may have left some in discovery).
    await sql`UPDATE crm_core.crm_deals SET stage_id = ${qualifyingId}::uuid, probability = 10
      WHERE tenant_id = ${tenantId}::uuid AND pipeline_id = ${movesPipelineId}::uuid`.execute(k);
    const deals = await sql<{ id: string }>`SELECT id FROM crm_core.crm_deals
      WHERE tenant_id = ${tenantId}::uuid AND pipeline_id = ${movesPipelineId}::uuid ORDER BY id`.execute(k);
    await sql`ANALYZE crm_core.crm_deals`.execute(k);
    return { boardPipelineId, movesPipelineId, moveDeals: deals.rows, qualifyingId, discoveryId };
  });
}

export function boardLoad(
  origin: string,
  headers: Record<string, string>,
  pipelineId: string,
  connections: number,
  durationSeconds: number,
): Promise<LoadResult> {
  return runLoad({
    origin,
    connections,
    durationSeconds,
    headers,
    next: () => ({ path: `/crm/v1/pipelines/${pipelineId}/board`, tag: 'board' }),
  });
}

export interface MovesResult {
  connections: number;
  durationSeconds: number;
  moves: number;
  movesPerSecond: number;
  failures: number;
  latencyMs: LatencySummary;
}

/**
 * Closed loop: each connection cycles through its own deals, moving each one to the other stage with
 * the version the previous answer returned (the first version is read before the run).
 */
/** The deals one workspace contributes to a moves run, moved with that workspace's credentials. */
export interface MovesLane {
  headers: Record<string, string>;
  data: DomainData;
}

export async function movesLoad(
  origin: string,
  lanes: readonly MovesLane[],
  connections: number,
  durationSeconds: number,
): Promise<MovesResult> {
  const versions = new Map<string, number>();
  const stageOf = new Map<string, string>();
  // Interleaved across workspaces, so consecutive requests touch different workspaces' chains.
  const deals: Array<{ id: string; lane: MovesLane }> = [];
  const longest = Math.max(...lanes.map((l) => l.data.moveDeals.length));
  for (let i = 0; i < longest; i++) {
    for (const lane of lanes) {
      const d = lane.data.moveDeals[i];
      if (d) deals.push({ id: d.id, lane });
    }
  }
  for (const d of deals) {
    const res = await fetch(`${origin}/crm/v1/deals/${d.id}`, { headers: d.lane.headers });
    const body = (await res.json()) as { version: number; stage_id?: string; stage?: { id: string } };
    if (!res.ok) throw new Error(`GET deal answered ${res.status}`);
    versions.set(d.id, body.version);
    stageOf.set(d.id, body.stage_id ?? body.stage?.id ?? d.lane.data.qualifyingId);
  }
  if (deals.length < connections * 4) throw new Error('too few move deals for the connections');
  const latencies: number[] = [];
  let failures = 0;
  let cursor = 0;
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin,
        connections,
        duration: durationSeconds,
        pipelining: 1,
        timeout: 10,
        headers: { 'content-type': 'application/json' },
        initialContext: {},
        requests: [
          {
            method: 'POST',
            setupRequest: (request, context) => {
              // autocannon resets a connection's context after its last request, so no per-connection
              // slot is kept there: one cursor over all deals. A deal comes round again only after every
              // other one, long after its previous move answered, so two connections never move it at once.
              const deal = deals[cursor++ % deals.length];
              if (!deal) throw new Error('no deal');
              const { qualifyingId, discoveryId } = deal.lane.data;
              const to = stageOf.get(deal.id) === qualifyingId ? discoveryId : qualifyingId;
              (context as Record<string, unknown>).pending = { id: deal.id, to };
              return {
                ...request,
                headers: { ...request.headers, ...deal.lane.headers },
                path: `/crm/v1/deals/${deal.id}/move`,
                body: JSON.stringify({ stage_id: to, version: versions.get(deal.id) }),
              };
            },
            onResponse: (status, body, context) => {
              const pending = (context as Record<string, unknown>).pending as
                | { id: string; to: string }
                | undefined;
              if (!pending || status !== 200) return;
              const parsed = JSON.parse(body) as { version: number };
              versions.set(pending.id, parsed.version);
              stageOf.set(pending.id, pending.to);
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode !== 200) failures++;
      else latencies.push(responseTime);
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`  moves: ${latencies.length} in ${round(seconds, 1)} s, ${failures} failures`);
  return {
    connections,
    durationSeconds: round(seconds, 2),
    moves: latencies.length,
    movesPerSecond: round(latencies.length / seconds, 1),
    failures: failures + result.errors + result.timeouts,
    latencyMs: summarize(latencies),
  };
}
