import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { postCrmV1ActivitiesByIdComplete } from '../../../shared/api-client/sdk.gen.js';
import type { Activity } from '../../../shared/api-client/types.gen.js';
import { call } from '../../lib/api.js';
import { toast } from '../../ui/toast.js';

/** Marks an open task done; every list showing it (timelines, activities, dashboard) refetches. */
export function CompleteButton(props: { activity: Activity; compact?: boolean }) {
  const { t } = useTranslation('activities');
  const qc = useQueryClient();
  const complete = useMutation({
    mutationFn: () => call(postCrmV1ActivitiesByIdComplete({ path: { id: props.activity.id }, body: {} })),
    onSuccess: () => {
      toast.success(t('complete.done'));
      void qc.invalidateQueries({ queryKey: ['timeline'] });
      void qc.invalidateQueries({ queryKey: ['activities'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
  return (
    <button
      type="button"
      className="btn btn-small"
      disabled={complete.isPending}
      onClick={() => complete.mutate()}
    >
      <span aria-hidden="true">✓ </span>
      {t('complete.action')}
      <span className="sr-only">: {props.activity.subject}</span>
    </button>
  );
}
