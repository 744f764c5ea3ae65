import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AppDatabase, AppPlatform } from '../db.js';
import type { CreateAccountInput } from '../modules/accounts/account.schema.js';
import { createAccount } from '../modules/accounts/account.service.js';
import { createActivitySchema } from '../modules/activities/activity.schema.js';
import { createActivity } from '../modules/activities/activity.service.js';
import { createContactSchema } from '../modules/contacts/contact.schema.js';
import { createContact } from '../modules/contacts/contact.service.js';
import { closeDealSchema, createDealSchema, moveDealSchema } from '../modules/deals/deal.schema.js';
import { closeDeal, createDeal, moveDeal } from '../modules/deals/deal.service.js';
import { acceptInvitation, createInvitation } from '../modules/users/member.service.js';
import { findLoginUser, slugTaken } from '../modules/users/user.repository.js';
import { logIn, signUp, userActor } from '../modules/users/user.service.js';
import {
  confirmReceivingAccount,
  createReceivingAccount,
  updateSettings,
} from '../modules/vietnam/settings.service.js';
import type { RequestContext } from '../platform/unit-of-work.js';
import { type DemoDeal, STORIES, TIMELINE } from './demo-data.js';

/**
 * The demo workspace created on first start (SEED_DEMO): an admin and a sales rep, and Vietnamese
 * companies to look at. Idempotent: when the workspace exists, nothing is written.
 */

export const DEMO = {
  slug: 'demo',
  workspaceName: 'Công ty Demo CyberOS',
  adminEmail: 'demo@cyberos.local',
  adminName: 'Nguyễn Thị Lan',
  repEmail: 'tuan@cyberos.local',
  repName: 'Trần Văn Tuấn',
} as const;

const COMPANIES: Array<Partial<CreateAccountInput> & { name: string }> = [
  {
    name: 'Công ty TNHH Phần mềm Ánh Dương',
    legal_type: 'llc',
    vn_mst: '0312273838',
    industry: 'Software',
    domains: ['anhduong.vn'],
    lifecycle: 'customer',
  },
  {
    name: 'Công ty Cổ phần Thương mại Đại Phát',
    legal_type: 'jsc',
    vn_mst: '0105869220',
    industry: 'Retail',
    domains: ['daiphat.com.vn'],
    lifecycle: 'prospect',
  },
  {
    name: 'Công ty TNHH Nguyễn Gia Logistics',
    legal_type: 'llc',
    vn_mst: '0316079077',
    industry: 'Logistics',
    domains: ['nguyengia-logistics.vn'],
    lifecycle: 'prospect',
  },
  {
    name: 'Hộ kinh doanh Bánh mì Hòa Mã',
    legal_type: 'sole_proprietor',
    industry: 'Food & beverage',
    lifecycle: 'lead',
  },
  {
    name: 'Công ty TNHH Saigon Precision (FDI)',
    legal_type: 'fdi',
    vn_mst: '3702499152',
    industry: 'Manufacturing',
    domains: ['saigonprecision.com'],
    lifecycle: 'customer',
  },
  {
    name: 'Công ty Cổ phần Dược phẩm Thành Công',
    legal_type: 'jsc',
    vn_mst: '0302787672',
    industry: 'Pharmaceuticals',
    domains: ['thanhcongpharma.vn'],
    lifecycle: 'partner',
  },
  {
    name: 'Công ty TNHH Xây dựng Đức Minh',
    legal_type: 'llc',
    vn_mst: '0108880215',
    industry: 'Construction',
    domains: ['ducminh.vn'],
    lifecycle: 'prospect',
  },
  {
    name: 'Công ty Cổ phần Giáo dục Hướng Dương',
    legal_type: 'jsc',
    vn_mst: '0106929352',
    industry: 'Education',
    domains: ['huongduong.edu.vn'],
    lifecycle: 'lead',
  },
  {
    name: 'Công ty TNHH Nông sản Mekong Xanh',
    legal_type: 'llc',
    vn_mst: '1801314923',
    industry: 'Agriculture',
    domains: ['mekongxanh.vn'],
    lifecycle: 'prospect',
  },
  {
    name: 'Công ty Cổ phần Du lịch Biển Đà Nẵng',
    legal_type: 'jsc',
    vn_mst: '0401958914',
    industry: 'Tourism',
    domains: ['biendanang.vn'],
    lifecycle: 'customer',
  },
  {
    name: 'Công ty TNHH Thời trang Lụa Hà Đông',
    legal_type: 'llc',
    vn_mst: '0107430703',
    industry: 'Fashion',
    domains: ['luahadong.vn'],
    lifecycle: 'former_customer',
  },
  {
    name: 'Công ty Cổ phần Năng lượng Mặt Trời Phương Nam',
    legal_type: 'jsc',
    vn_mst: '0313844499',
    industry: 'Energy',
    domains: ['phuongnam-solar.vn'],
    lifecycle: 'prospect',
  },
  {
    name: 'Harbour Tech Pte. Ltd.',
    legal_type: 'other',
    industry: 'Software',
    domains: ['harbourtech.sg'],
    lifecycle: 'partner',
    country: 'SG',
  },
  {
    name: 'Pacific Bridge Trading Inc.',
    legal_type: 'other',
    industry: 'Wholesale',
    domains: ['pacificbridge.com'],
    lifecycle: 'customer',
    country: 'US',
  },
  {
    name: 'Anh Nguyễn Văn Bình (khách hàng cá nhân)',
    legal_type: 'individual',
    industry: 'Consulting',
    lifecycle: 'lead',
  },
];

const PROVINCES = [
  'Thành phố Hồ Chí Minh',
  'Thành phố Hà Nội',
  'Thành phố Đà Nẵng',
  'Thành phố Cần Thơ',
  'Thành phố Hải Phòng',
];

export interface DemoCredentials {
  email: string;
  password: string;
  repEmail: string;
  created: boolean;
}

export async function seedDemo(p: AppPlatform, password: string): Promise<DemoCredentials> {
  const exists = await p.db.system((db) => slugTaken(db, DEMO.slug));
  if (exists) return { email: DEMO.adminEmail, password, repEmail: DEMO.repEmail, created: false };
  if (await p.db.system((db) => findLoginUser(db, DEMO.adminEmail))) {
    throw new Error(
      `${DEMO.adminEmail} exists without the demo workspace; set SEED_DEMO=false or use a fresh DATA_DIR`,
    );
  }
  const meta = { ip: '127.0.0.1', userAgent: 'seed', requestId: 'seed-demo' };
  const admin = await signUp(
    p,
    {
      workspace_name: DEMO.workspaceName,
      workspace_slug: DEMO.slug,
      email: DEMO.adminEmail,
      password,
      display_name: DEMO.adminName,
      locale: 'vi',
    },
    meta,
  );
  const adminCtx = { actor: userActor(admin.user, admin.workspace.id, 'admin'), requestId: 'seed-demo' };
  const invite = await createInvitation(p, adminCtx, {
    email: DEMO.repEmail,
    role: 'sales_rep',
    expires_in_days: 7,
  });
  const rep = await acceptInvitation(p, { token: invite.token, display_name: DEMO.repName, password }, meta);
  const repCtx = { actor: userActor(rep.user, rep.workspace.id, 'sales_rep'), requestId: 'seed-demo' };

  const accountIds: string[] = [];
  for (const [i, c] of COMPANIES.entries()) {
    const ctx = i % 3 === 2 ? repCtx : adminCtx;
    const country = c.country ?? 'VN';
    const account = await createAccount(p, ctx, {
      legal_type: 'other',
      lifecycle: 'prospect',
      domains: [],
      custom_fields: {},
      addresses: [
        country === 'VN'
          ? {
              kind: 'headquarters',
              street: `${12 + i * 7} Đường Lê Lợi`,
              ward: 'Phường Sài Gòn',
              district: null,
              province: PROVINCES[i % PROVINCES.length] ?? null,
              country: 'VN',
              postal_code: null,
            }
          : {
              kind: 'headquarters',
              street: country === 'SG' ? '1 Harbourfront Walk' : '100 Montgomery Street',
              ward: null,
              district: null,
              province: country === 'SG' ? 'Singapore' : 'San Francisco, CA',
              country,
              postal_code: country === 'SG' ? '098585' : '94104',
            },
      ],
      ...c,
      country,
      ...(i === 3 ? { owner_id: null } : {}),
    });
    accountIds.push(account.id);
  }
  // The workspace as a seller: won demo deals get their VietQR request and hóa đơn from the won flow.
  // A demo tax code (99… is no province's prefix) and a demo account: nothing here is a real company.
  await updateSettings(p, adminCtx, {
    legal_name: 'CÔNG TY TNHH CYBEROS DEMO',
    mst: '9999999997',
    address: 'Tầng 8, 20 Đường Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh',
    email: 'ketoan@demo.cyberos.vn',
    bank_account: '0011002345678',
    bank_name: 'Vietcombank',
  });
  const receiving = await createReceivingAccount(p, adminCtx, {
    bank_bin: '970436',
    account_number: '0011002345678',
    account_name: 'CONG TY TNHH CYBEROS DEMO',
    service: 'QRIBFTTA',
    is_default: true,
  });
  await confirmReceivingAccount(p, adminCtx, receiving.id);
  // Sanity: the credentials printed at start-up work.
  await logIn(p, { email: DEMO.adminEmail, password }, meta);
  return { email: DEMO.adminEmail, password, repEmail: DEMO.repEmail, created: true };
}

/**
 * The demo's contacts, deals and timeline: seeded after the server listens (they take a few seconds of
 * use cases on PGlite, and the first request must not wait for them — DESIGN §9), or at once by
 * `cyberos-crm seed`. Runs only while the demo workspace has no contacts, so a restart does not repeat it.
 */
export async function seedDemoStories(p: AppPlatform): Promise<{ seeded: boolean }> {
  const ids = await demoWorkspaceIds(p.db);
  const found = await p.db.read(ids.workspaceId, async (db) => {
    const contact = await db.selectFrom('crm_core.crm_contacts').select('id').limit(1).executeTakeFirst();
    const accounts = await db
      .selectFrom('crm_core.crm_accounts')
      .select(['id', 'name'])
      .where('deleted_at', 'is', null)
      .execute();
    return { hasContacts: contact !== undefined, accounts };
  });
  if (found.hasContacts) return { seeded: false };
  const admin = await p.db.system((db) => findLoginUser(db, DEMO.adminEmail));
  const rep = await p.db.system((db) => findLoginUser(db, DEMO.repEmail));
  if (!admin || !rep) return { seeded: false };
  const byName = new Map(found.accounts.map((a) => [a.name, a.id]));
  const accountIds = COMPANIES.map((c) => byName.get(c.name) ?? '');
  const requestId = 'seed-demo-stories';
  await seedStories(
    p,
    {
      admin: { actor: userActor(admin, ids.workspaceId, 'admin'), requestId },
      rep: { actor: userActor(rep, ids.workspaceId, 'sales_rep'), requestId },
    },
    accountIds,
  );
  return { seeded: true };
}

const DAY = 86_400_000;
const dateIn = (days: number): string => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** The stages a demo deal walks through to reach its stage, so its history looks like real work. */
const PATH: Record<DemoDeal['stage'], DemoDeal['stage'][]> = {
  qualifying: [],
  discovery: ['discovery'],
  proposal: ['discovery', 'proposal'],
  negotiation: ['discovery', 'proposal', 'negotiation'],
  closed_won: ['discovery', 'proposal', 'negotiation', 'closed_won'],
  closed_lost: ['discovery', 'proposal', 'closed_lost'],
  cancelled: ['cancelled'],
};

/**
 * Contacts, deals (walked through the pipeline's rules to their stage, so stage history, timeline, audit
 * and events are exactly what users would have produced) and a few months of timeline entries, all
 * through the use cases.
 */
async function seedStories(
  p: AppPlatform,
  ctxs: { admin: RequestContext; rep: RequestContext },
  accountIds: string[],
): Promise<void> {
  const stages = await p.db.read(ctxs.admin.actor.workspaceId, (db) =>
    db
      .selectFrom('crm_core.crm_pipeline_stages')
      .select(['id', 'code'])
      .where('deleted_at', 'is', null)
      .execute(),
  );
  const stageId = new Map(stages.map((s) => [s.code, s.id]));
  let taskNo = 0;
  for (const story of STORIES) {
    const accountId = accountIds[story.company];
    if (!accountId) continue;
    const contactIds: string[] = [];
    for (const c of story.contacts) {
      const channels = [
        ...(c.phone ? [{ kind: 'phone' as const, value: c.phone, label: 'work' }] : []),
        ...(c.email ? [{ kind: 'email' as const, value: c.email, label: 'work' }] : []),
        ...(c.zalo ? [{ kind: 'zalo' as const, value: c.zalo }] : []),
        ...(c.linkedin ? [{ kind: 'linkedin' as const, value: c.linkedin }] : []),
      ];
      const contact = await createContact(
        p,
        ctxs.admin,
        createContactSchema.parse({
          account_id: accountId,
          last_name: c.last,
          first_name: c.first,
          title: c.title,
          buying_role: c.role,
          is_primary: c.primary ?? false,
          email_opt_in: Boolean(c.email),
          channels,
        }),
      );
      contactIds.push(contact.id);
    }
    const primary = contactIds[0] ?? null;
    for (const d of story.deals) {
      const ctx = d.byRep ? ctxs.rep : ctxs.admin;
      let deal = await createDeal(
        p,
        ctx,
        createDealSchema.parse({
          name: d.name,
          account_id: accountId,
          primary_contact_id: primary,
          contacts: contactIds.map((id, k) => ({ contact_id: id, role: story.contacts[k]?.role ?? null })),
          amount_minor: d.amount,
          currency: d.currency,
          expected_close_date: dateIn(d.closeInDays),
          tags: d.currency === 'USD' ? ['international'] : [],
          ...(d.restricted ? { acl_mode: 'restricted', acl_roles: ['manager'] } : {}),
        }),
      );
      for (const code of PATH[d.stage]) {
        const target = stageId.get(code);
        if (!target) throw new Error(`demo: no stage ${code}`);
        if (code === 'closed_won' || code === 'closed_lost' || code === 'cancelled') {
          deal = await closeDeal(
            p,
            ctx,
            deal.id,
            closeDealSchema.parse({
              outcome: code === 'closed_won' ? 'won' : code === 'closed_lost' ? 'lost' : 'cancelled',
              ...(d.lostReason ? { lost_reason: d.lostReason } : {}),
              version: deal.version,
            }),
            undefined,
          );
        } else {
          deal = await moveDeal(
            p,
            ctx,
            deal.id,
            moveDealSchema.parse({ stage_id: target, version: deal.version }),
            undefined,
          );
        }
      }
      for (const entry of TIMELINE) {
        if (d.closeInDays < 0 && entry.daysAgo < -d.closeInDays) continue;
        await createActivity(
          p,
          ctx,
          createActivitySchema.parse({
            kind: entry.kind,
            subject: entry.subject,
            body_markdown: entry.body,
            occurred_at: new Date(Date.now() - entry.daysAgo * DAY).toISOString(),
            deal_id: deal.id,
            contact_id: primary,
          }),
        );
      }
      if (deal.status === 'open') {
        // One follow-up task per open deal: some overdue, some due soon.
        taskNo++;
        await createActivity(
          p,
          ctx,
          createActivitySchema.parse({
            kind: 'task',
            subject: taskNo % 3 === 0 ? 'Gửi lại báo giá đã điều chỉnh' : 'Gọi điện chăm sóc khách hàng',
            occurred_at: new Date().toISOString(),
            due_at: new Date(Date.now() + (taskNo % 3 === 0 ? -2 : taskNo % 3) * DAY).toISOString(),
            deal_id: deal.id,
            contact_id: primary,
          }),
        );
      }
    }
  }
}

export const generateDemoPassword = (): string => `demo-${randomBytes(9).toString('base64url')}`;

/** The demo workspace's id and its admin's user id (for volume seeding into it). */
export async function demoWorkspaceIds(
  db: AppDatabase,
): Promise<{ workspaceId: string; adminUserId: string }> {
  const r = await db.owner((k) =>
    sql<{ id: string; admin_user_id: string | null }>`
      SELECT w.id, (SELECT m.user_id FROM crm_core.crm_memberships m
                     WHERE m.tenant_id = w.id AND m.role = 'admin' ORDER BY m.created_at LIMIT 1) AS admin_user_id
        FROM crm_core.crm_workspaces w WHERE w.slug = ${DEMO.slug}`.execute(k),
  );
  const row = r.rows[0];
  if (!row?.admin_user_id) throw new Error('the demo workspace does not exist; run `cyberos-crm seed` first');
  return { workspaceId: row.id, adminUserId: row.admin_user_id };
}
