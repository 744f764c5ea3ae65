import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** What the numbers were measured on. */

export function machineInfo(): {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
} {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
  };
}

export function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** The installed version of a package (read from its package.json next to its entry point). */
export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 5; i++) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (
          typeof parsed === 'object' &&
          parsed !== null &&
          'name' in parsed &&
          parsed.name === name &&
          'version' in parsed &&
          typeof parsed.version === 'string'
        ) {
          return parsed.version;
        }
      } catch {
        // not here; look one level up
      }
      dir = path.dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'unknown';
}
