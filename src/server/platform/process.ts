import { type Config, ConfigError, loadConfig } from './config.js';

/** Process plumbing shared by the entry points (server, worker). */

/** The configuration, or exit 78 (EX_CONFIG) with the message naming every bad variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78);
    }
    throw e;
  }
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits 0. */
export function onShutdownSignal(stop: (signal: string) => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    await stop(signal);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Runs an entry point's main, exiting 1 on an unexpected failure. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
