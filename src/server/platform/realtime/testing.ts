import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/**
 * A WebSocket client for tests and the benchmark: collects every frame, and waits for the next one that
 * matches. `settle()` proves a negative: it round-trips a ping, and since a socket delivers in order,
 * every frame the server had sent before answering is then in `frames`.
 */

export type Frame = { type: string } & Record<string, unknown>;

export class TestSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly #taken = new Set<number>();
  #waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.#notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#notify();
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  /** Opens, authenticates, and waits for `ready`. */
  static async authed(url: string, token: string): Promise<TestSocket> {
    const s = await TestSocket.open(url);
    s.send({ type: 'auth', token });
    await s.next('ready');
    return s;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** The first frame not taken yet of this type (or matching the predicate); takes it. */
  async next(match: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<Frame> {
    const ok = typeof match === 'string' ? (f: Frame) => f.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.frames.length; i++) {
        const f = this.frames[i] as Frame;
        if (this.#taken.has(i) || !ok(f)) continue;
        this.#taken.add(i);
        return f;
      }
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames of type `event` received so far (taken or not). */
  events(): Array<Frame & { room: string; cursor: string; event: Record<string, unknown> }> {
    return this.frames.filter((f) => f.type === 'event') as Array<
      Frame & { room: string; cursor: string; event: Record<string, unknown> }
    >;
  }

  /** Waits until the server has handled everything sent before (ping → pong). */
  async settle(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  /** Resolves with the close code and reason. */
  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}

/** Whether a NATS server answers with its INFO line at `url` (tests and the bench skip without one). */
export function natsAnswers(url: string): Promise<boolean> {
  const u = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 4222) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('INFO')));
  });
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface ServerProcess {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** ws://127.0.0.1:<port>/crm/v1/ws */
  wsUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx src/server/main.ts` with `env` on a free port (PORT=0; the port is read
 * from its start-up banner) and resolves once it listens. The process gets no demo seed and no web
 * build unless `env` says otherwise.
 */
export function startServerProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      SEED_DEMO: 'false',
      WEB_BUILD: 'off',
      LOG_LEVEL: 'warn',
      EMAIL_MX_CHECK: 'off',
      RATE_LIMIT_MAX: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const m = /running at http:\/\/localhost:(\d+)/.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      const port = Number(m[1]);
      resolve({
        port,
        origin: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}/crm/v1/ws`,
        output: () => out,
        stop,
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
