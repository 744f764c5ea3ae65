/**
 * Runs `task` over `items` with at most `concurrency` in flight. There are no bulk endpoints: a bulk
 * action is one request per deal, and four at a time keeps the rate limit and the server's write lock
 * contention low while still finishing a hundred deals in a few seconds. Never rejects: every item gets
 * its outcome, so the caller can report "n done, m failed" with each reason.
 */
export type PoolResult<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
  onProgress?: (done: number) => void,
): Promise<PoolResult<T, R>[]> {
  const results: PoolResult<T, R>[] = new Array(items.length);
  let next = 0;
  let done = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      try {
        results[i] = { item, ok: true, value: await task(item) };
      } catch (error) {
        results[i] = { item, ok: false, error };
      }
      onProgress?.(++done);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
