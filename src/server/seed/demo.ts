import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AppDatabase, AppPlatform } from '../db.js';
import type { CreateAccountInput } from '../modules/accounts/account.schema.js';
import { createAccount } from '../modules/accounts/account.service.js';
import { acceptInvitation, createInvitation } from '../modules/users/member.service.js';
import { findLoginUser, slugTaken } from '../modules/users/user.repository.js';
import { logIn, signUp, userActor } from '../modules/users/user.service.js';

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

  for (const [i, c] of COMPANIES.entries()) {
    const ctx = i % 3 === 2 ? repCtx : adminCtx;
    await createAccount(p, ctx, {
      legal_type: 'other',
      lifecycle: 'prospect',
      domains: [],
      custom_fields: {},
      country: 'VN',
      addresses: [
        {
          kind: 'headquarters',
          street: `${12 + i * 7} Đường Lê Lợi`,
          ward: 'Phường Sài Gòn',
          district: null,
          province: PROVINCES[i % PROVINCES.length] ?? null,
          country: 'VN',
          postal_code: null,
        },
      ],
      ...c,
      ...(i === 3 ? { owner_id: null } : {}),
    });
  }
  // Sanity: the credentials printed at start-up work.
  await logIn(p, { email: DEMO.adminEmail, password }, meta);
  return { email: DEMO.adminEmail, password, repEmail: DEMO.repEmail, created: true };
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
