import { type ReactNode, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A modal on the native <dialog> element: the browser gives focus trapping, Escape to close and the
 * inert background, so keyboard users get them for free.
 */
export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  labelledBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Read by the close event, which fires a task after `d.close()`: by then the parent may have rendered
  // again (and navigated), so the latest `open` decides, not the one of the render that closed it.
  const openRef = useRef(props.open);
  openRef.current = props.open;
  const { t } = useTranslation();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      className={props.wide ? 'dialog dialog-wide' : 'dialog'}
      aria-label={props.title}
      // React bubbles a nested dialog's close/cancel events through its ancestors: only our own count.
      // A close the parent asked for (open became false) is not reported back: calling onClose again
      // then could undo what the parent did meanwhile (a form that saved, closed and navigated to the new
      // record was sent back to the list by its own second close).
      onClose={(e) => {
        if (e.target === e.currentTarget && openRef.current) props.onClose();
      }}
      onCancel={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault();
        props.onClose();
      }}
    >
      {props.open && (
        <>
          <header className="dialog-header">
            <h2>{props.title}</h2>
            <button type="button" className="icon-btn" aria-label={t('action.close')} onClick={props.onClose}>
              ×
            </button>
          </header>
          <div className="dialog-body">{props.children}</div>
        </>
      )}
    </dialog>
  );
}
