import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Copies a text to the clipboard and says so (the clipboard API needs a secure context or localhost). */
export function CopyButton(props: { text: string; label?: string }) {
  const { t } = useTranslation('settings');
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <button type="button" className="btn" onClick={() => void copy()} aria-live="polite">
      {copied ? t('copy.done') : (props.label ?? t('copy.copy'))}
    </button>
  );
}
