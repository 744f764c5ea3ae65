import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../ui/Dialog.js';

/** A yes/no question before a destructive action; the action's error (if any) is shown inside. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  error?: string | null;
  children?: ReactNode;
}) {
  const { t } = useTranslation('settings');
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <div className="stack">
        {props.children}
        {props.error && (
          <div className="alert alert-error" role="alert">
            {props.error}
          </div>
        )}
        <div className="row settings-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          <button type="button" className="btn btn-danger" disabled={props.busy} onClick={props.onConfirm}>
            {props.confirmLabel}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
