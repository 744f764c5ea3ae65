import { sql } from 'kysely';
import type { AppPlatform } from '../../db.js';
import type { FlowStep } from './vietnam.table.js';
import { executeStep, type StepFault } from './won-flow.service.js';

/**
 * Works off due won-flow steps, like the outbox relay: claims a batch across workspaces as crm_system
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
  readonly #pollMs: number;
  readonly #lease: number;
  readonly #fault: StepFault | undefined;
  #timer: NodeJS.Timeout | null = null;
  #stopped = true;
  #running = false;
  #again = false;
  #current: Promise<unknown> | null = null;
  executed = 0;

  constructor(
    private readonly p: AppPlatform,
    options: WonFlowRunnerOptions = {},
  ) {
    this.#batch = options.batchSize ?? 20;
    this.#pollMs = options.pollMs ?? 1000;
    this.#lease = options.leaseSeconds ?? 120;
    this.#fault = options.fault;
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
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    let n = 0;
    try {
      this.#current = this.runOnce();
      n = (await this.#current) as number;
    } catch (error) {
      this.p.log.error({ err: error }, 'won-flow runner pass failed');
    } finally {
      this.#running = false;
      this.#current = null;
    }
    if (this.#stopped) return;
    const again = this.#again || n === this.#batch;
    this.#again = false;
    this.#schedule(again ? 0 : this.#pollMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current?.catch(() => {});
  }
}
