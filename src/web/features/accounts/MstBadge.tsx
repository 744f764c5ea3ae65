import { useTranslation } from 'react-i18next';
import type { MstStatus } from './types.js';

/** The tax code's registry status (unverified, valid, invalid, stale) as a coloured badge. */
export function MstBadge(props: { status: MstStatus; mst: string | null; checkedAt?: string | null }) {
  const { t } = useTranslation('accounts');
  if (!props.mst) return null;
  const cls =
    props.status === 'valid'
      ? 'badge badge-success'
      : props.status === 'invalid'
        ? 'badge badge-hot'
        : props.status === 'stale'
          ? 'badge badge-overdue'
          : 'badge';
  return (
    <span className={cls} data-testid="mst-badge" title={props.checkedAt ?? undefined}>
      {t('mst.label')} {props.mst} · {t(`mst.status.${props.status}`)}
    </span>
  );
}
