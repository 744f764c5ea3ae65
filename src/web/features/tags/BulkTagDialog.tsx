import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { EntityTagInput } from './EntityTagInput.js';
import { type BulkTagsResult, bulkTag } from './queries.js';

/**
 * "Tag…" for a list's selection: tags to add and tags to remove, sent in one request
 * (POST /{accounts|contacts}/bulk/tags). The server checks each record like a single edit; the caller
 * gets the per-record result to report "n done, m failed".
 */
export function BulkTagDialog(props: {
  open: boolean;
  entity: 'account' | 'contact';
  ids: readonly string[];
  onClose: () => void;
  onDone: (result: BulkTagsResult) => void;
}) {
  const { t } = useTranslation('tags');
  const qc = useQueryClient();
  const [add, setAdd] = useState<string[]>([]);
  const [remove, setRemove] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const close = () => {
    setAdd([]);
    setRemove([]);
    setError(null);
    props.onClose();
  };
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await bulkTag(props.entity, { ids: [...props.ids], add, remove });
      void qc.invalidateQueries({ queryKey: ['tags'] });
      props.onDone(result);
      close();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} title={t('bulk.title', { count: props.ids.length })} onClose={close}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <EntityTagInput
          entity={props.entity}
          label={t('bulk.add')}
          value={add}
          onChange={setAdd}
          max={20}
          testId="bulk-tags-add"
        />
        <EntityTagInput
          entity={props.entity}
          label={t('bulk.remove')}
          value={remove}
          onChange={setRemove}
          max={20}
          testId="bulk-tags-remove"
        />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={close}>
            {t('bulk.cancel')}
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || (add.length === 0 && remove.length === 0)}
          >
            {t('bulk.apply')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
