import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1Contacts,
  getCrmV1ContactsById,
  patchCrmV1DealsById,
} from '../../../../shared/api-client/sdk.gen.js';
import { call } from '../../../lib/api.js';
import { ContactDrawer } from '../../contacts/ContactDrawer.js';
import { type DealRecord, ifMatch, invalidateDeal } from './queries.js';

/**
 * The deal's contacts with their buying role. The API keeps them as one list on the deal
 * (`contacts: [{contact_id, role}]`, the primary contact always in it), so adding, removing or changing a
 * role is a PATCH of the whole list with If-Match: a concurrent change is refused, never merged blindly.
 */

type Role = NonNullable<DealRecord['contacts'][number]['role']>;
const ROLES: readonly Role[] = ['decision_maker', 'influencer', 'technical', 'finance', 'user', 'gatekeeper'];
type Link = { contact_id: string; role: Role | null };

function ContactName(props: { id: string; onOpen: (id: string) => void }) {
  const contact = useQuery({
    queryKey: ['contact', props.id],
    queryFn: () => call(getCrmV1ContactsById({ path: { id: props.id } })),
    staleTime: 60_000,
    meta: { silent: true },
  });
  const c = contact.data;
  return (
    <button type="button" className="deal-link-btn" onClick={() => props.onOpen(props.id)}>
      {c ? c.salutation_display || c.display_name : '…'}
      {c?.title && <span className="muted small"> · {c.title}</span>}
    </button>
  );
}

export function DealContacts(props: { deal: DealRecord; canEdit: boolean }) {
  const { t } = useTranslation('deals');
  const qc = useQueryClient();
  const id = useId();
  const { deal } = props;
  const [drawer, setDrawer] = useState<string | null>(null);
  const [addId, setAddId] = useState('');
  const [addRole, setAddRole] = useState<Role | ''>('');

  const candidatesParams = { account_id: deal.account_id ?? undefined, limit: 100, sort: 'name' as const };
  const candidates = useQuery({
    queryKey: ['contacts', candidatesParams],
    queryFn: () => call(getCrmV1Contacts({ query: candidatesParams })),
    enabled: props.canEdit && Boolean(deal.account_id),
    meta: { silent: true },
  });
  const linked = new Set(deal.contacts.map((c) => c.contact_id));
  const options = (candidates.data?.data ?? []).filter((c) => !linked.has(c.id));

  const save = useMutation({
    mutationFn: (contacts: Link[]) =>
      call(
        patchCrmV1DealsById({ path: { id: deal.id }, body: { contacts }, headers: ifMatch(deal.version) }),
      ),
    onSuccess: (updated) => {
      qc.setQueryData(['deal', updated.id], updated);
      invalidateDeal(qc, updated);
      setAddId('');
      setAddRole('');
    },
    onError: () => void qc.invalidateQueries({ queryKey: ['deal', deal.id] }),
  });
  const current = (): Link[] => deal.contacts.map((c) => ({ contact_id: c.contact_id, role: c.role }));

  return (
    <section className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('page.contacts')}</h2>
      {deal.contacts.length === 0 ? (
        <p className="muted">{t('page.noContacts')}</p>
      ) : (
        <table className="table deal-contacts">
          <thead>
            <tr>
              <th scope="col">{t('page.contact')}</th>
              <th scope="col">{t('page.role')}</th>
              {props.canEdit && (
                <th scope="col">
                  <span className="sr-only">{t('page.actions')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {deal.contacts.map((c) => {
              const primary = c.contact_id === deal.primary_contact_id;
              return (
                <tr key={c.contact_id}>
                  <td>
                    <ContactName id={c.contact_id} onOpen={setDrawer} />
                    {primary && <span className="badge deal-primary">{t('page.primary')}</span>}
                  </td>
                  <td>
                    {props.canEdit ? (
                      <select
                        aria-label={t('page.roleOf')}
                        value={c.role ?? ''}
                        disabled={save.isPending}
                        onChange={(e) =>
                          save.mutate(
                            current().map((x) =>
                              x.contact_id === c.contact_id
                                ? { ...x, role: (e.target.value || null) as Role | null }
                                : x,
                            ),
                          )
                        }
                      >
                        <option value="">{t('page.noRole')}</option>
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t(`buyingRole.${r}`)}
                          </option>
                        ))}
                      </select>
                    ) : c.role ? (
                      t(`buyingRole.${c.role}`)
                    ) : (
                      '—'
                    )}
                  </td>
                  {props.canEdit && (
                    <td>
                      {/* The primary contact stays on the deal (the API re-adds it); change it in Edit. */}
                      <button
                        type="button"
                        className="btn btn-ghost small"
                        disabled={primary || save.isPending}
                        title={primary ? t('page.primaryStays') : undefined}
                        onClick={() => save.mutate(current().filter((x) => x.contact_id !== c.contact_id))}
                      >
                        {t('page.remove')}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.canEdit &&
        (deal.account_id ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (addId) save.mutate([...current(), { contact_id: addId, role: addRole || null }]);
            }}
          >
            <label className="sr-only" htmlFor={`${id}-add`}>
              {t('page.addContact')}
            </label>
            <select id={`${id}-add`} value={addId} onChange={(e) => setAddId(e.target.value)}>
              <option value="">{options.length ? t('page.chooseContact') : t('page.noMoreContacts')}</option>
              {options.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.display_name}
                </option>
              ))}
            </select>
            <label className="sr-only" htmlFor={`${id}-role`}>
              {t('page.role')}
            </label>
            <select
              id={`${id}-role`}
              value={addRole}
              onChange={(e) => setAddRole(e.target.value as Role | '')}
            >
              <option value="">{t('page.noRole')}</option>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`buyingRole.${r}`)}
                </option>
              ))}
            </select>
            <button type="submit" className="btn" disabled={!addId || save.isPending}>
              {t('page.addContact')}
            </button>
          </form>
        ) : (
          <p className="muted small">{t('page.contactsNeedAccount')}</p>
        ))}
      <ContactDrawer contactId={drawer} onClose={() => setDrawer(null)} />
    </section>
  );
}
