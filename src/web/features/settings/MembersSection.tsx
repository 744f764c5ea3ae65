import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import {
  deleteCrmV1InvitationsById,
  getCrmV1Invitations,
  getCrmV1Members,
  patchCrmV1MembersByUserId,
  postCrmV1Invitations,
} from '../../../shared/api-client/sdk.gen.js';
import type { GetCrmV1InvitationsResponses } from '../../../shared/api-client/types.gen.js';
import { ROLES, type Role } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe, useSession } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { CopyButton } from './CopyButton.js';

type Invitation = GetCrmV1InvitationsResponses[200]['data'][number];

/** Members and their roles; invitations (list, invite by email and role, revoke). Admins only write. */
export function MembersSection() {
  const { t } = useTranslation('settings');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const manage = can(me, 'crm.members.manage');
  const members = useQuery({ queryKey: ['members'], queryFn: () => call(getCrmV1Members()) });
  const reloadMe = useSession((s) => s.reloadMe);

  const changeRole = useMutation({
    mutationFn: (v: { userId: string; role: Role }) =>
      call(patchCrmV1MembersByUserId({ path: { userId: v.userId }, body: { role: v.role } })),
    onSuccess: (m) => {
      toast.success(t('members.roleChanged', { name: m.display_name || m.email, role: t(`role.${m.role}`) }));
      // Changing one's own role changes what this session may do.
      if (m.user_id === me.user?.id) void reloadMe();
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['members'] }),
  });

  return (
    <div className="stack">
      <h2>{t('members.title')}</h2>
      <div className="card table-scroll">
        {members.isPending ? (
          <p className="muted">{t('common:state.loading')}</p>
        ) : (
          <table className="table" data-testid="members-table">
            <caption className="sr-only">{t('members.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('members.name')}</th>
                <th scope="col">{t('members.email')}</th>
                <th scope="col">{t('members.role')}</th>
                <th scope="col">{t('members.status')}</th>
                <th scope="col">{t('members.joined')}</th>
              </tr>
            </thead>
            <tbody>
              {(members.data?.data ?? []).map((m) => (
                <tr key={m.user_id}>
                  <td>
                    {m.display_name}
                    {m.user_id === me.user?.id && <span className="muted small"> ({t('members.you')})</span>}
                  </td>
                  <td>{m.email}</td>
                  <td>
                    {manage ? (
                      <select
                        aria-label={t('members.roleOf', { name: m.display_name || m.email })}
                        value={m.role}
                        disabled={changeRole.isPending}
                        onChange={(e) =>
                          changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t(`role.${r}`)}
                          </option>
                        ))}
                      </select>
                    ) : (
                      t(`role.${m.role}`)
                    )}
                  </td>
                  <td>
                    <span className={m.status === 'active' ? 'badge badge-success' : 'badge'}>
                      {t(`memberStatus.${m.status}`)}
                    </span>
                  </td>
                  <td>{fmt.date(m.joined_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {manage ? <Invitations /> : <p className="muted small">{t('members.readOnly')}</p>}
    </div>
  );
}

function Invitations() {
  const { t } = useTranslation('settings');
  const fmt = useFormat();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const invitations = useQuery({
    queryKey: ['members', 'invitations'],
    queryFn: () => call(getCrmV1Invitations()),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('sales_rep');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);

  const invite = useMutation({
    meta: { silent: true },
    mutationFn: () => call(postCrmV1Invitations({ body: { email: email.trim(), role } })),
    onSuccess: (r) => {
      toast.success(t('invitations.sent', { email: r.invitation.email }));
      // The web app's accept page is /invite (the API's accept_path names another route); a replayed
      // answer has no token (secrets are not stored), then there is no link to show.
      setLink(r.token ? `${location.origin}/invite?token=${encodeURIComponent(r.token)}` : null);
      setEmail('');
      void qc.invalidateQueries({ queryKey: ['members', 'invitations'] });
      if (params.get('new')) {
        const next = new URLSearchParams(params);
        next.delete('new');
        setParams(next, { replace: true });
      }
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        setErrors(e.fieldErrors());
        setFormError(e.message);
      } else setFormError(String(e));
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => call(deleteCrmV1InvitationsById({ path: { id } })),
    onSuccess: () => {
      toast.success(t('invitations.revoked'));
      setRevoking(null);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['members', 'invitations'] }),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setLink(null);
    invite.mutate();
  };

  const list = invitations.data?.data ?? [];
  return (
    <section className="stack" aria-labelledby="invitations-title">
      <h2 id="invitations-title">{t('invitations.title')}</h2>
      <form className="card stack" onSubmit={submit} data-testid="invite-form" noValidate>
        <div className="settings-form-grid">
          <Field
            label={t('invitations.email')}
            type="email"
            autoComplete="off"
            value={email}
            maxLength={LIMITS.email}
            required
            autoFocus={params.get('new') === '1'}
            error={errors.email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <SelectField
            label={t('invitations.role')}
            value={role}
            error={errors.role}
            onChange={(e) => setRole(e.target.value as Role)}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </SelectField>
        </div>
        {formError && (
          <div className="alert alert-error" role="alert">
            {formError}
          </div>
        )}
        <div className="row">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={invite.isPending || email.trim() === ''}
          >
            {t('invitations.send')}
          </button>
        </div>
        {link && (
          <div className="alert invite-link" role="status">
            <p>{t('invitations.linkHint')}</p>
            <div className="row">
              <code className="secret" data-testid="invite-link">
                {link}
              </code>
              <CopyButton text={link} />
            </div>
          </div>
        )}
      </form>

      <div className="card table-scroll">
        {list.length === 0 ? (
          <p className="muted">{t('invitations.empty')}</p>
        ) : (
          <table className="table">
            <caption className="sr-only">{t('invitations.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('invitations.email')}</th>
                <th scope="col">{t('invitations.role')}</th>
                <th scope="col">{t('invitations.status')}</th>
                <th scope="col">{t('invitations.expires')}</th>
                <th scope="col">
                  <span className="sr-only">{t('invitations.revoke')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{t(`role.${i.role}`)}</td>
                  <td>
                    <span className="badge">{t(`invitationStatus.${i.status}`)}</span>
                  </td>
                  <td>{fmt.date(i.expires_at)}</td>
                  <td>
                    {i.status === 'pending' && (
                      <button
                        type="button"
                        className="btn"
                        aria-label={t('invitations.revokeNamed', { email: i.email })}
                        onClick={() => setRevoking(i)}
                      >
                        {t('invitations.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {revoking && (
        <ConfirmDialog
          open
          title={t('invitations.revokeTitle')}
          confirmLabel={t('invitations.revoke')}
          busy={revoke.isPending}
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id)}
        >
          <p>{t('invitations.revokeText', { email: revoking.email })}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
