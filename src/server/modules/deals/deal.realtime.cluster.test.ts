import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NatsJetStreamBus } from '../../platform/events/nats-bus.js';
import {
  natsAnswers,
  type ServerProcess,
  startServerProcess,
  TestSocket,
} from '../../platform/realtime/testing.js';

/**
 * Two real server processes (`src/server/main.ts`) on one PostgreSQL database and one NATS JetStream:
 * a move written through process 1 reaches a board open on process 2. Runs only when TEST_DATABASE_URL
 * and NATS (NATS_TEST_URL, default nats://127.0.0.1:4222) are both there.
 */

const PG = process.env.TEST_DATABASE_URL;
const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
const nats = await natsAnswers(NATS_URL);
if (!PG || !nats) {
  console.warn(
    `two-process real-time test skipped: needs TEST_DATABASE_URL${PG ? ' (set)' : ' (unset)'} and NATS at ${NATS_URL}${nats ? '' : ' (unreachable)'}`,
  );
}

const session = z.object({ tokens: z.object({ access_token: z.string() }) });
const pipelines = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      is_default: z.boolean(),
      stages: z.array(z.object({ id: z.string(), code: z.string() })),
    }),
  ),
});
const deal = z.object({ id: z.string(), version: z.number() });

async function call<T>(
  server: ServerProcess,
  method: string,
  url: string,
  schema: z.ZodType<T>,
  token?: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${server.origin}${url}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  return schema.parse(JSON.parse(text));
}

describe.skipIf(!PG || !nats)('real time across two server processes (NATS JetStream)', () => {
  const stream = `CRM_RT_CLUSTER_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'crm-rt-cluster-'));
  let one: ServerProcess;
  let two: ServerProcess;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: PG ?? '',
      DATABASE_POOL_MAX: '4',
      NATS_URL,
      NATS_STREAM: stream,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      OUTBOX_POLL_MS: '50',
    };
    [one, two] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([one?.stop(), two?.stop()]);
    const bus = await NatsJetStreamBus.connect({ url: NATS_URL, stream });
    await bus.deleteStream().catch(() => {});
    await bus.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a move through process 1 reaches process 2's socket", async () => {
    const signup = await call(one, 'POST', '/crm/v1/auth/signup', session, undefined, {
      workspace_name: 'Cluster test',
      email: `cluster-${randomBytes(4).toString('hex')}@test.local`,
      password: 'correct-horse-battery-staple',
      display_name: 'Cluster Admin',
    });
    const token = signup.tokens.access_token;
    const { data } = await call(one, 'GET', '/crm/v1/pipelines', pipelines, token);
    const pipeline = data.find((p) => p.is_default);
    const discovery = pipeline?.stages.find((s) => s.code === 'discovery');
    if (!pipeline || !discovery) throw new Error('no default pipeline with a discovery stage');
    const created = await call(one, 'POST', '/crm/v1/deals', deal, token, { name: 'Across processes' });

    const board = await TestSocket.authed(two.wsUrl, token);
    sockets.push(board);
    board.send({ type: 'subscribe', room: `pipeline:${pipeline.id}` });
    await board.next('subscribed');

    await call(one, 'POST', `/crm/v1/deals/${created.id}/move`, deal, token, {
      stage_id: discovery.id,
      version: created.version,
    });
    const frame = await board.next(
      (f) => f.type === 'event' && (f.event as { type: string }).type === 'deal.stage_changed',
      10_000,
    );
    expect(frame).toMatchObject({
      room: `pipeline:${pipeline.id}`,
      event: { dealId: created.id, pipelineId: pipeline.id, stageId: discovery.id, version: 2 },
    });
  });
});
