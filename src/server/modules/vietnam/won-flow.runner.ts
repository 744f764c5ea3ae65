import { sql } from 'kysely';
import type { AppPlatform } from '../../db.js';
import { Poller } from '../../platform/jobs/poller.js';
import type { FlowStep } from './vietnam.table.js';
import { executeStep, type StepFault } from './won-flow.service.js';

/**
 * Works off due won-flow steps, like the outbox relay (and on the same Poller loop): claims a batch across workspaces as crm_system
 * (`FOR UPDATE SKIP LOCKED`, lease in `locked_until`), commits the claim, then executes each step in
 * its own workspace transaction (won-flow.service.ts executeStep). Several runners (processes) may run
 * at once; a runner that dies leaves leases that expire, and the steps are claimed again. Steps of one
 * deal run in order (vietqr, invoice, engagement, brain, win_loss) within a batch.
 */
export interface WonFlowRunnerOptions {
  batchSize?: number;
  pollMs?: number;
  leaseSeconds?: number;
  /** Test hook: throw from here to simulate a crash after a step's effects, before its commit. */
  fault?: StepFault;
}

interface Claimed {
  tenant_id: string;
  deal_id: string;
  step: FlowStep;
  position: number;
}

export class WonFlowRunner {
  readonly #batch: number;
  readonly #lease: number;
  readonly #fault: StepFault | undefined;
  readonly #poller: Poller;
  executed = 0;

  constructor(
    private readonly p: AppPlatform,
    options: WonFlowRunnerOptions = {},
  ) {
    this.#batch = options.batchSize ?? 20;
    this.#lease = options.leaseSeconds ?? 120;
    this.#fault = options.fault;
    this.#poller = new Poller(() => this.runOnce(), {
      pollMs: options.pollMs ?? 1000,
      batchSize: this.#batch,
      onError: (err) => p.log.error({ err }, 'won-flow runner pass failed'),
    });
  }

  /** Claims and runs one batch; returns how many steps it ran. */
  async runOnce(): Promise<number> {
    const claimed = await this.p.db.systemTransaction(async (trx) => {
      const r = await sql<Claimed>`
        UPDATE crm_core.crm_deal_flow_steps f
        SET attempts = f.attempts + 1, locked_until = now() + make_interval(secs => ${this.#lease})
        FROM (
          SELECT tenant_id, deal_id, step FROM crm_core.crm_deal_flow_steps
          WHERE status IN ('pending','waiting') AND available_at <= now()
            AND (locked_until IS NULL OR locked_until < now())
          ORDER BY available_at, position
          LIMIT ${this.#batch}
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE f.tenant_id = c.tenant_id AND f.deal_id = c.deal_id AND f.step = c.step
        RETURNING f.tenant_id, f.deal_id, f.step, f.position`.execute(trx);
      return r.rows;
    });
    claimed.sort((a, b) =>
      a.deal_id === b.deal_id ? a.position - b.position : a.deal_id < b.deal_id ? -1 : 1,
    );
    for (const c of claimed) {
      await executeStep(this.p, c.tenant_id, c.deal_id, c.step, this.#fault);
      this.executed += 1;
    }
    return claimed.length;
  }

  /** Runs until nothing is due (tests; shutdown). */
  async drain(maxRounds = 50): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) return total;
    }
    return total;
  }

  start(): void {
    this.#poller.start();
  }

  /** Asks for an immediate pass (a deal was closed, or a setting that blocked steps changed). */
  wake(): void {
    this.#poller.wake();
  }

  async stop(): Promise<void> {
    await this.#poller.stop();
  }
}
