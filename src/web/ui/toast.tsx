import { useTranslation } from 'react-i18next';
import { create } from 'zustand';
import { ApiError } from '../lib/api.js';

/** Toasts: errors show the API's own message (its problem `detail`), successes a short confirmation. */

export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  text: string;
  detail?: string;
}

interface ToastState {
  toasts: Toast[];
  push(t: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
}

let seq = 0;
export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push(t) {
    const id = ++seq;
    set({ toasts: [...get().toasts.slice(-4), { ...t, id }] });
    setTimeout(() => get().dismiss(id), t.kind === 'error' ? 8000 : 4000);
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((x) => x.id !== id) });
  },
}));

export const toast = {
  success: (text: string) => useToasts.getState().push({ kind: 'success', text }),
  info: (text: string) => useToasts.getState().push({ kind: 'info', text }),
  error: (error: unknown) => {
    if (error instanceof ApiError) {
      const fields = error.problem?.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
      useToasts.getState().push({ kind: 'error', text: error.message, detail: fields || undefined });
    } else {
      useToasts
        .getState()
        .push({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
    }
  },
};

export function Toaster() {
  const { t } = useTranslation();
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : 'status'}>
          <div>
            <div>{x.text}</div>
            {x.detail && <div className="muted small">{x.detail}</div>}
          </div>
          <button
            type="button"
            className="icon-btn"
            aria-label={t('action.dismiss')}
            onClick={() => dismiss(x.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
