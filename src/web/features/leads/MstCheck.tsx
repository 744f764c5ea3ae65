import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { postCrmV1VnMstValidate } from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';

/**
 * The live MST check of the account form (same endpoint, same strings in the accounts namespace):
 * format and check digit as the code is typed, debounced, and the registry's answer when it has one.
 * The server's 422 on save stays the authority.
 */
export function MstCheck(props: { mst: string }) {
  const { t } = useTranslation('accounts');
  const [debounced, setDebounced] = useState(props.mst.trim());
  useEffect(() => {
    const h = setTimeout(() => setDebounced(props.mst.trim()), 400);
    return () => clearTimeout(h);
  }, [props.mst]);
  const q = useQuery({
    queryKey: ['mst', debounced],
    queryFn: () => call(postCrmV1VnMstValidate({ body: { mst: debounced } })),
    enabled: debounced.length > 0,
    staleTime: 60_000,
    retry: false,
    meta: { silent: true },
  });
  if (debounced.length === 0) return null;
  return (
    <div className="mst-check small" aria-live="polite" data-testid="mst-check">
      {q.isFetching && <span className="muted">{t('mst.checking')}</span>}
      {!q.isFetching && q.data && (
        <>
          {q.data.valid ? (
            <span className="badge badge-success">{t('mst.valid')}</span>
          ) : (
            <span className="badge badge-hot">{t('mst.invalid')}</span>
          )}{' '}
          {q.data.display && <span>{q.data.display} </span>}
          {!q.data.valid && (q.data.message ?? q.data.reason) && (
            <span className="field-error">· {q.data.message ?? q.data.reason}</span>
          )}
          {q.data.registry?.name && <div className="muted">{q.data.registry.name}</div>}
        </>
      )}
      {q.isError && <span className="muted">{t('mst.unavailable')}</span>}
    </div>
  );
}
