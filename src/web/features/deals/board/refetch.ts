import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';

/**
 * When to ask the server for the board again. Cards are patched in the cache at once (a move, a live
 * event), but totals are the server's (converted to the base currency) and filters decide which cards
 * belong, so a refetch follows — debounced, so a burst of events costs one request, and held back while
 * one of our moves is in flight, so a board read before the move committed cannot undo its optimistic
 * card.
 */
export interface BoardSync {
  /** Deals with a move of ours in flight → the version the move expects. */
  readonly pending: Map<string, number>;
  request(delayMs?: number): void;
  moveStarted(dealId: string, version: number): void;
  moveSettled(dealId: string): void;
}

export const REFETCH_DEBOUNCE_MS = 150;

export function useBoardSync(pipelineId: string | null): BoardSync {
  const qc = useQueryClient();
  const sync = useMemo(() => {
    const pending = new Map<string, number>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let wanted = false;
    const flush = () => {
      timer = null;
      if (!pipelineId) return;
      if (pending.size > 0) {
        wanted = true;
        return;
      }
      wanted = false;
      void qc.invalidateQueries({ queryKey: ['board', pipelineId] });
    };
    const request = (delayMs = REFETCH_DEBOUNCE_MS) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, delayMs);
    };
    return {
      pending,
      request,
      moveStarted(dealId: string, version: number) {
        pending.set(dealId, version);
      },
      moveSettled(dealId: string) {
        pending.delete(dealId);
        if (pending.size === 0 || wanted) request();
      },
      dispose() {
        if (timer) clearTimeout(timer);
      },
    };
  }, [qc, pipelineId]);
  useEffect(() => () => sync.dispose(), [sync]);
  return sync;
}
