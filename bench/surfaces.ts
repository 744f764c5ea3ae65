import { randomUUID } from 'node:crypto';
import { type LoadResult, runLoad } from './load.js';

/**
 * The surfaces issue's scenarios: the pipeline board as one GraphQL query (GET, the persisted-query form:
 * deals of the board pipeline with their stage, account and primary contact through DataLoaders), and the
 * activity auto-log's throughput (distinct RFC 822 messages from a tracked domain, each matched, logged as
 * an activity, audited and recorded for reconciliation).
 */

const CARD = `edges { node { id name amountMinor currency probabilityPct expectedCloseDate
      stage { id code } account { id name } primaryContact { id displayName } } }`;

/**
 * The board as a kanban client asks for it: one `deals` connection per stage column (aliases; a page is at
 * most 100 cards), each card with its stage, account and primary contact.
 */
export function graphqlBoardQuery(stageIds: readonly string[]): string {
  const columns = stageIds.map(
    (id, i) =>
      `s${i}: deals(filter: { pipelineId: $pipelineId, stageId: "${id}", status: OPEN }, first: 100) { ${CARD} }`,
  );
  return `query Board($pipelineId: ID!) {\n  ${columns.join('\n  ')}\n}`;
}

const boardPath = (query: string, pipelineId: string) =>
  `/crm/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ pipelineId }))}`;

async function gqlGet(origin: string, headers: Record<string, string>, path: string) {
  const res = await fetch(`${origin}${path}`, { headers: { ...headers, accept: 'application/json' } });
  const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  if (!res.ok || body.errors || !body.data) {
    throw new Error(`GraphQL query failed (${res.status}): ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body.data;
}

/**
 * Builds the board query for the pipeline and runs it once: a GraphQL error answers 200 too, so the load
 * would measure errors unnoticed. Returns the query and how many cards it returns.
 */
export async function checkGraphqlBoard(
  origin: string,
  headers: Record<string, string>,
  pipelineId: string,
): Promise<{ query: string; cards: number }> {
  const pipelines = (
    await gqlGet(
      origin,
      headers,
      `/crm/graphql?query=${encodeURIComponent('{ pipelines { id stages { id category } } }')}`,
    )
  ).pipelines as Array<{ id: string; stages: Array<{ id: string; category: string }> }>;
  const stages =
    pipelines
      .find((p) => p.id === pipelineId)
      ?.stages.filter((x) => x.category === 'OPEN')
      .map((x) => x.id) ?? [];
  if (stages.length === 0) throw new Error(`pipeline ${pipelineId} has no stages in GraphQL`);
  const query = graphqlBoardQuery(stages);
  const data = await gqlGet(origin, headers, boardPath(query, pipelineId));
  const cards = Object.values(data).reduce<number>((n, c) => n + (c as { edges: unknown[] }).edges.length, 0);
  return { query, cards };
}

export function graphqlBoardLoad(
  origin: string,
  headers: Record<string, string>,
  pipelineId: string,
  query: string,
  connections: number,
  durationSeconds: number,
): Promise<LoadResult> {
  const path = boardPath(query, pipelineId);
  return runLoad({
    origin,
    connections,
    durationSeconds,
    headers: { ...headers, accept: 'application/json' },
    next: () => ({ path, tag: 'graphql-board' }),
  });
}

/** Sets the workspace's own domain and tracks a customer domain on an account; returns that domain. */
export async function prepareAutolog(
  origin: string,
  headers: Record<string, string>,
  accountId: string,
): Promise<{ customerDomain: string; ownDomain: string }> {
  const ownDomain = 'bench-seller.vn';
  const customerDomain = `bench-${randomUUID().slice(0, 8)}.vn`;
  const json = { ...headers, 'content-type': 'application/json' };
  const s = await fetch(`${origin}/crm/v1/inbound/settings`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ own_domains: [ownDomain] }),
  });
  if (!s.ok) throw new Error(`PUT /inbound/settings answered ${s.status}: ${await s.text()}`);
  const d = await fetch(`${origin}/crm/v1/accounts/${accountId}/tracked-domains`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ domain: customerDomain }),
  });
  if (!d.ok) throw new Error(`POST tracked-domains answered ${d.status}: ${await d.text()}`);
  return { customerDomain, ownDomain };
}

function message(n: number, customerDomain: string, ownDomain: string): string {
  return [
    `From: =?UTF-8?B?${Buffer.from('Nguyễn Thị Lan').toString('base64')}?= <lan@${customerDomain}>`,
    `To: Sales <sales@${ownDomain}>`,
    `Subject: =?UTF-8?B?${Buffer.from(`Báo giá CRM lần ${n}`).toString('base64')}?=`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <bench-${n}-${randomUUID()}@${customerDomain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Chào anh, bên em gửi lại báo giá lần ${n}. Cảm ơn anh.`,
    '',
  ].join('\r\n');
}

/** One message first: it must be logged (matched to the tracked account), not skipped. */
export async function checkAutolog(
  origin: string,
  headers: Record<string, string>,
  domains: { customerDomain: string; ownDomain: string },
): Promise<void> {
  const res = await fetch(`${origin}/crm/v1/inbound/email`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'message/rfc822', 'idempotency-key': randomUUID() },
    body: message(0, domains.customerDomain, domains.ownDomain),
  });
  const text = await res.text();
  if (!res.ok || !text.includes('"logged"'))
    throw new Error(`auto-log check failed (${res.status}): ${text.slice(0, 500)}`);
}

export async function autologLoad(
  origin: string,
  headers: Record<string, string>,
  domains: { customerDomain: string; ownDomain: string },
  connections: number,
  durationSeconds: number,
): Promise<LoadResult> {
  let n = 0;
  return runLoad({
    origin,
    connections,
    durationSeconds,
    headers,
    next: () => ({
      path: '/crm/v1/inbound/email',
      tag: 'inbound-email',
      method: 'POST',
      body: message(++n, domains.customerDomain, domains.ownDomain),
      headers: { 'content-type': 'message/rfc822', 'idempotency-key': randomUUID() },
    }),
  });
}
