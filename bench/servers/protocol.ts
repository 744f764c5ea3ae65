import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The servers under test run in child processes (so the load generator in the parent does not share
 * their event loop). A child listens on a free port and tells the parent over the IPC channel; it exits
 * when told to stop, on SIGTERM, or when the parent goes away (the channel closes).
 */

export type ReadyMessage = { type: 'ready'; ports: Record<string, number> };
export type FailedMessage = { type: 'failed'; message: string };
export type ChildMessage = ReadyMessage | FailedMessage;

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null || !('type' in value)) return false;
  return value.type === 'ready' || value.type === 'failed';
}

/** Child side: report the listening ports, and exit when the parent disappears. */
export function reportReady(ports: Record<string, number>, close: () => Promise<void>): void {
  const stop = async () => {
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
  const msg: ReadyMessage = { type: 'ready', ports };
  process.send?.(msg);
}

export function reportFailure(err: unknown): void {
  const msg: FailedMessage = {
    type: 'failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  };
  process.stderr.write(`${msg.message}\n`);
  if (process.send) process.send(msg, () => process.exit(1));
  else process.exit(1);
}

export interface RunningServer {
  name: string;
  pid: number;
  ports: Record<string, number>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every child still running (synchronous: safe in an 'exit' handler). */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Starts `bench/servers/<script>` under tsx with the given environment and waits for its ports.
 * The child's stdout is forwarded to our stderr (stdout is reserved for the JSON result).
 */
export function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<RunningServer> {
  const child = fork(path.join(here, script), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  running.add(child);
  child.stdout?.pipe(process.stderr);
  child.on('exit', () => running.delete(child));

  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });

  return new Promise<RunningServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('message', (msg: unknown) => {
      if (!isChildMessage(msg)) return;
      clearTimeout(timer);
      if (msg.type === 'ready') {
        resolve({ name, pid: child.pid ?? -1, ports: msg.ports, stop });
      } else {
        void stop();
        reject(new Error(`${name} failed to start:\n${msg.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}
