import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Runs one API call per selected record, at most `concurrency` at a time (the API has no bulk endpoint
 * for these; four in flight keeps the list responsive without tripping the rate limit).
 */
export async function runBulk<T>(
  items: readonly T[],
  fn: (item: T) => Promise<unknown>,
  onProgress: (done: number, failed: number) => void,
  concurrency = 4,
): Promise<{ done: number; failed: number }> {
  let next = 0;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
        done++;
      } catch {
        failed++;
      }
      onProgress(done, failed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { done, failed };
}

export interface BulkState {
  running: boolean;
  total: number;
  done: number;
  failed: number;
  finished: boolean;
}

/** Progress and the "n done, m failed" summary of a bulk action, announced to screen readers. */
export function useBulk() {
  const [state, setState] = useState<BulkState>({
    running: false,
    total: 0,
    done: 0,
    failed: 0,
    finished: false,
  });
  const run = async <T,>(items: readonly T[], fn: (item: T) => Promise<unknown>) => {
    setState({ running: true, total: items.length, done: 0, failed: 0, finished: false });
    const r = await runBulk(items, fn, (done, failed) => setState((s) => ({ ...s, done, failed })));
    setState({ running: false, total: items.length, done: r.done, failed: r.failed, finished: true });
    return r;
  };
  /** The summary of a bulk action the server ran in one request (per-record results counted by it). */
  const report = (done: number, failed: number) =>
    setState({ running: false, total: done + failed, done, failed, finished: true });
  const reset = () => setState({ running: false, total: 0, done: 0, failed: 0, finished: false });
  return { state, run, report, reset };
}

export function BulkStatus(props: { state: BulkState }) {
  const { t } = useTranslation('accounts');
  const s = props.state;
  return (
    <span role="status" className="small" data-testid="bulk-status">
      {s.running && t('bulk.working', { done: s.done + s.failed, total: s.total })}
      {s.finished && (
        <span className={s.failed > 0 ? 'bulk-failed' : 'bulk-ok'}>
          {t('bulk.summary', { done: s.done, failed: s.failed })}
        </span>
      )}
    </span>
  );
}
