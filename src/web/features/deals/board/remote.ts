import { create } from 'zustand';

/**
 * Cards someone else just changed, highlighted for a few seconds. A store of its own so that a remote
 * change re-renders that one card (each card subscribes to its own id), not the board.
 */

export const REMOTE_HIGHLIGHT_MS = 3000;

interface RemoteState {
  ids: ReadonlySet<string>;
  mark(id: string): void;
}

const timers = new Map<string, ReturnType<typeof setTimeout>>();

export const useRemoteHighlight = create<RemoteState>()((set, get) => ({
  ids: new Set(),
  mark(id) {
    const old = timers.get(id);
    if (old) clearTimeout(old);
    if (!get().ids.has(id)) set({ ids: new Set([...get().ids, id]) });
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        const ids = new Set(get().ids);
        ids.delete(id);
        set({ ids });
      }, REMOTE_HIGHLIGHT_MS),
    );
  },
}));

export function useIsRemoteUpdated(id: string): boolean {
  return useRemoteHighlight((s) => s.ids.has(id));
}
