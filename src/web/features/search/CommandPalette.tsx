import { useQuery } from '@tanstack/react-query';
import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { create } from 'zustand';
import { getCrmV1Search } from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';

/**
 * Ctrl/Cmd+K: global search (accounts, contacts by name or phone/email, deals, leads by name, company,
 * phone or email; the server applies the deal ACL and ranks open leads first) and quick actions. Arrow
 * keys move, Enter opens, Escape closes.
 */

interface PaletteState {
  isOpen: boolean;
  open(): void;
  close(): void;
  toggle(): void;
}
export const usePalette = create<PaletteState>()((set, get) => ({
  isOpen: false,
  open: () => set({ isOpen: true }),
  close: () => set({ isOpen: false }),
  toggle: () => set({ isOpen: !get().isOpen }),
}));

interface Item {
  id: string;
  group: string;
  label: string;
  sub?: string;
  go: string;
}

export function CommandPalette() {
  const { t } = useTranslation();
  const { isOpen, close } = usePalette();
  const navigate = useNavigate();
  const fmt = useFormat();
  const [q, setQ] = useState('');
  const [debounced, setDebounced] = useState('');
  const [active, setActive] = useState(0);
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const id = setTimeout(() => setDebounced(q.trim()), 150);
    return () => clearTimeout(id);
  }, [q]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (isOpen && !d.open) {
      setQ('');
      setActive(0);
      d.showModal();
    }
    if (!isOpen && d.open) d.close();
  }, [isOpen]);

  const search = useQuery({
    queryKey: ['search', debounced],
    queryFn: () => call(getCrmV1Search({ query: { q: debounced, limit: 5 } })),
    enabled: isOpen && debounced.length >= 2,
    meta: { silent: true },
  });

  const items = useMemo<Item[]>(() => {
    const actions: Item[] = [
      { id: 'a-deal', group: t('palette.actions'), label: t('palette.newDeal'), go: '/deals?new=1' },
      { id: 'a-account', group: t('palette.actions'), label: t('palette.newAccount'), go: '/accounts?new=1' },
      { id: 'a-contact', group: t('palette.actions'), label: t('palette.newContact'), go: '/contacts?new=1' },
      {
        id: 'a-activity',
        group: t('palette.actions'),
        label: t('palette.logActivity'),
        go: '/activities?new=1',
      },
      { id: 'a-board', group: t('palette.actions'), label: t('palette.openPipeline'), go: '/pipeline' },
    ].filter((a) => !q || a.label.toLowerCase().includes(q.toLowerCase()));
    const r = search.data;
    const found: Item[] = [
      ...(r?.accounts?.data ?? []).map((a) => ({
        id: `acc-${a.id}`,
        group: t('palette.accounts'),
        label: a.name,
        sub: a.vn_mst ?? undefined,
        go: `/accounts/${a.id}`,
      })),
      ...(r?.contacts?.data ?? []).map((c) => ({
        id: `con-${c.id}`,
        group: t('palette.contacts'),
        label: c.display_name,
        sub: [c.account?.name, c.matched_channel?.value].filter(Boolean).join(' · ') || undefined,
        go: `/contacts/${c.id}`,
      })),
      ...(r?.deals?.data ?? []).map((d) => ({
        id: `deal-${d.id}`,
        group: t('palette.deals'),
        label: d.name,
        sub: fmt.money(d.amount_minor, d.currency),
        go: `/deals/${d.id}`,
      })),
      // The status is shown because converted and disqualified leads are listed too (after open ones).
      ...(r?.leads?.data ?? []).map((l) => ({
        id: `lead-${l.id}`,
        group: t('palette.leads'),
        label: l.display_name,
        sub: [l.company_name, t(`palette.leadStatus.${l.status}`)].filter(Boolean).join(' · '),
        go: `/leads/${l.id}`,
      })),
    ];
    return [...found, ...actions];
  }, [search.data, q, t, fmt]);

  const choose = (item: Item | undefined) => {
    if (!item) return;
    close();
    navigate(item.go);
  };

  let lastGroup = '';
  return (
    <dialog
      ref={ref}
      className="palette"
      aria-label={t('palette.title')}
      onClose={close}
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
      onClick={(e) => e.target === ref.current && close()}
      onKeyDown={() => {}}
    >
      {isOpen && (
        <div className="palette-inner">
          <input
            autoFocus
            role="combobox"
            aria-expanded="true"
            aria-controls="palette-list"
            aria-activedescendant={items[active] ? `pal-${items[active].id}` : undefined}
            aria-label={t('palette.placeholder')}
            placeholder={t('palette.placeholder')}
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                setActive((a) => Math.min(items.length - 1, a + 1));
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((a) => Math.max(0, a - 1));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                choose(items[active]);
              }
            }}
          />
          <div id="palette-list" className="palette-list" role="listbox" aria-label={t('palette.results')}>
            {search.isFetching && <div className="muted small">{t('palette.searching')}</div>}
            {items.map((item, i) => {
              const header = item.group !== lastGroup ? item.group : null;
              lastGroup = item.group;
              return (
                <Fragment key={item.id}>
                  {header && (
                    <div className="palette-group" role="presentation">
                      {header}
                    </div>
                  )}
                  <div
                    id={`pal-${item.id}`}
                    role="option"
                    tabIndex={-1}
                    aria-selected={i === active}
                    className={i === active ? 'palette-item active' : 'palette-item'}
                    onMouseEnter={() => setActive(i)}
                    onClick={() => choose(item)}
                    onKeyDown={(e) => e.key === 'Enter' && choose(item)}
                  >
                    <span>{item.label}</span>
                    {item.sub && <span className="muted small">{item.sub}</span>}
                  </div>
                </Fragment>
              );
            })}
            {debounced.length >= 2 && !search.isFetching && items.length === 0 && (
              <div className="muted">{t('palette.nothing')}</div>
            )}
          </div>
        </div>
      )}
    </dialog>
  );
}
