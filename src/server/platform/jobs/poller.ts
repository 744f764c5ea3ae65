/**
 * The scheduling loop of the background workers that claim rows in batches (outbox relay, webhook
 * dispatcher, won-flow runner): one pass at a time; the next one at once when the pass was full or
 * someone called `wake()` meanwhile, else after `pollMs`; `stop()` waits for the pass in flight. Timers
 * are unref'd, so a poller never keeps a process alive by itself.
 */
export interface PollerOptions {
  pollMs: number;
  /** A pass that handled this many rows was full: run the next one at once. */
  batchSize: number;
  onError: (error: unknown) => void;
}

export class Poller {
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stopped = true;
  #wakeRequested = false;
  #current: Promise<number> | null = null;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Asks for an immediate pass (new work was committed in this process). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current?.catch(() => {});
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
      this.#current = this.pass();
      n = await this.#current;
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.#running = false;
      this.#current = null;
    }
    if (this.#stopped) return;
    const again = this.#wakeRequested || n >= this.options.batchSize;
    this.#wakeRequested = false;
    this.#schedule(again ? 0 : this.options.pollMs);
  }
}
