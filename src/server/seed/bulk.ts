import { type RawBuilder, sql } from 'kysely';
import type { AppDatabase } from '../db.js';

/**
 * Volume data for benchmarks and load tests (`cyberos-crm seed --accounts 100000`): believable
 * Vietnamese accounts, contacts with real-format phones and emails, deals spread over the default
 * pipeline in VND and USD, their stage history and a few months of activities.
 *
 * Written set-based (`INSERT … SELECT … FROM generate_series`) as the schema owner, in one workspace,
 * because a million rows through the use cases would take hours. That is an operator's bulk load, not a
 * user's edit: it writes no audit rows or events (the audit chain records user actions; ADR 0012). It
 * tops up: running it again with a larger size adds only the difference.
 */

export interface VolumeSizes {
  accounts: number;
  contactsPerAccount: number;
  /** Deals per account (0.5 = one deal for every second account). */
  dealsPerAccount: number;
  activitiesPerDeal: number;
}

export const DEFAULT_VOLUME: Omit<VolumeSizes, 'accounts'> = {
  contactsPerAccount: 3,
  dealsPerAccount: 0.5,
  activitiesPerDeal: 2,
};

export interface VolumeResult {
  accounts: number;
  contacts: number;
  channels: number;
  deals: number;
  activities: number;
  seconds: number;
}

/** A text[] literal from a JSON parameter (identical on node-postgres and PGlite). */
function textArray(values: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`ARRAY(SELECT e FROM jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)
    WITH ORDINALITY t(e, o) ORDER BY o)`;
}

// Weighted by frequency (Nguyễn ≈ 38% of Vietnamese people), so name searches meet realistic skew.
const FAMILY = [
  ...Array<string>(38).fill('Nguyễn'),
  ...Array<string>(11).fill('Trần'),
  ...Array<string>(9).fill('Lê'),
  ...Array<string>(7).fill('Phạm'),
  ...Array<string>(5).fill('Hoàng'),
  ...Array<string>(4).fill('Huỳnh'),
  ...Array<string>(4).fill('Phan'),
  ...Array<string>(4).fill('Vũ'),
  ...Array<string>(3).fill('Võ'),
  ...Array<string>(2).fill('Đặng'),
  ...Array<string>(2).fill('Bùi'),
  'Đỗ',
  'Hồ',
  'Ngô',
  'Dương',
  'Lý',
  'Đinh',
  'Trương',
  'Lâm',
  'Mai',
  'Tô',
];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Minh', 'Ngọc', 'Thanh', 'Đức', 'Quốc', 'Thu', 'Hoàng', 'Gia', 'Bảo'];
const GIVEN = [
  'Anh',
  'Bình',
  'Châu',
  'Dũng',
  'Giang',
  'Hà',
  'Hải',
  'Hạnh',
  'Hiếu',
  'Hoa',
  'Hùng',
  'Hương',
  'Khánh',
  'Lan',
  'Linh',
  'Long',
  'Mai',
  'Minh',
  'Nam',
  'Ngọc',
  'Phong',
  'Phương',
  'Quân',
  'Quang',
  'Sơn',
  'Tâm',
  'Thảo',
  'Thành',
  'Trang',
  'Tuấn',
  'Tùng',
  'Vân',
  'Việt',
  'Yến',
  'Đạt',
  'Khoa',
  'Nhung',
  'Oanh',
];
const TITLES = [
  'Giám đốc',
  'Phó Giám đốc',
  'Kế toán trưởng',
  'Trưởng phòng Kinh doanh',
  'Trưởng phòng Mua hàng',
  'Trưởng phòng IT',
  'Chuyên viên Mua hàng',
  'CEO',
  'CFO',
  'CTO',
  'Procurement Manager',
  'Trợ lý Giám đốc',
];
const ROLES = ['decision_maker', 'influencer', 'technical', 'finance', 'user', 'gatekeeper'];
const MOBILE = [
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '38',
  '39',
  '70',
  '76',
  '77',
  '78',
  '79',
  '81',
  '82',
  '83',
  '84',
  '85',
  '86',
  '88',
  '89',
  '90',
  '91',
  '93',
  '94',
  '96',
  '97',
  '98',
];
const BRAND = [
  'Ánh Dương',
  'Đại Phát',
  'Hưng Thịnh',
  'Sao Mai',
  'Phú Gia',
  'Thành Công',
  'Bình Minh',
  'Hoà Bình',
  'Tân Tiến',
  'Việt Nhật',
  'Á Châu',
  'Hồng Hà',
  'Kim Long',
  'Trường Sơn',
  'Mekong',
  'Sài Gòn',
  'Thăng Long',
  'An Phát',
  'Đông Á',
  'Hải Âu',
  'Lạc Hồng',
  'Minh Khang',
  'Ngọc Lan',
  'Phương Nam',
  'Toàn Cầu',
  'Vạn Xuân',
];
const TRADE = [
  'Thương mại',
  'Dịch vụ',
  'Xây dựng',
  'Phần mềm',
  'Logistics',
  'Thực phẩm',
  'Dược phẩm',
  'Nông sản',
  'Du lịch',
  'Điện máy',
  'Bất động sản',
  'Giáo dục',
  'Năng lượng',
  'Thời trang',
  'Vận tải',
  'In ấn',
];
const DEAL_WORDS = [
  'Triển khai CRM',
  'Gia hạn hợp đồng',
  'Mua thiết bị',
  'Tư vấn chuyển đổi số',
  'Hợp đồng bảo trì',
  'Cung cấp phần mềm',
  'Đào tạo nhân sự',
  'Dự án ERP',
  'Gói dịch vụ năm',
  'Mở rộng chi nhánh',
  'License renewal',
  'Cloud migration',
];
const ACTIVITY = ['call', 'email', 'meeting', 'note', 'site_visit'];

async function count(db: AppDatabase, table: string, tenantId: string): Promise<number> {
  const r = await db.owner((k) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(`crm_core.${table}`)}
      WHERE tenant_id = ${tenantId}::uuid`.execute(k),
  );
  return Number(r.rows[0]?.n ?? 0);
}

export async function seedVolume(
  db: AppDatabase,
  tenantId: string,
  ownerUserId: string,
  sizes: VolumeSizes,
  log: (line: string) => void = () => {},
): Promise<VolumeResult> {
  const started = performance.now();
  const t = sql`${tenantId}::uuid`;
  const owner = sql`${ownerUserId}::uuid`;

  // Accounts: top up to the requested number. The row number continues from what exists, so names and
  // tax codes stay distinct across runs.
  const haveAccounts = await count(db, 'crm_accounts', tenantId);
  if (haveAccounts < sizes.accounts) {
    const from = haveAccounts + 1;
    log(`[seed] accounts ${haveAccounts} → ${sizes.accounts}`);
    await db.owner((k) =>
      sql`
      WITH b AS (SELECT ${textArray(BRAND)} AS brand, ${textArray(TRADE)} AS trade)
      INSERT INTO crm_core.crm_accounts (tenant_id, id, name, legal_type, vn_mst, industry, size, website, domains,
        country, phone, lifecycle, lead_source, owner_id, custom_fields, addresses, created_by, updated_by,
        created_at, updated_at)
      SELECT ${t}, crm_core.uuid_v7(),
        (CASE g % 5 WHEN 0 THEN 'Công ty Cổ phần ' WHEN 1 THEN 'Công ty TNHH ' WHEN 2 THEN 'Công ty TNHH MTV '
           WHEN 3 THEN 'Hộ kinh doanh ' ELSE 'Công ty ' END)
          || b.trade[1 + g % array_length(b.trade, 1)] || ' '
          || b.brand[1 + (g / 7) % array_length(b.brand, 1)] || ' ' || g,
        (ARRAY['jsc','llc','llc','sole_proprietor','fdi'])[1 + g % 5],
        lpad(((g * 7919) % 100000000)::text, 8, '0') || lpad((g % 97)::text, 2, '0'),
        b.trade[1 + g % array_length(b.trade, 1)],
        (ARRAY['1-10','11-50','51-200','201-500','501-1000'])[1 + g % 5],
        'https://cty' || g || '.vn', ARRAY['cty' || g || '.vn'], 'VN',
        '+842' || (8 + g % 2) || lpad(((g * 104729) % 100000000)::text, 8, '0'),
        (ARRAY['lead','prospect','prospect','customer','partner','former_customer'])[1 + g % 6],
        (ARRAY['website','referral','event','zalo','partner'])[1 + g % 5],
        ${owner}, '{}'::jsonb, '[]'::jsonb, ${owner}, ${owner},
        now() - (g % 720) * interval '1 day', now() - (g % 30) * interval '1 day'
      FROM b, generate_series(${from}::int, ${sizes.accounts}::int) g`.execute(k),
    );
  }

  // Contacts: N per account for accounts that have none yet.
  const perAccount = sizes.contactsPerAccount;
  if (perAccount > 0) {
    log('[seed] contacts');
    await db.owner((k) =>
      sql`
      WITH n AS (SELECT ${textArray(FAMILY)} AS fam, ${textArray(MIDDLE)} AS mid, ${textArray(GIVEN)} AS giv,
                        ${textArray(TITLES)} AS titles, ${textArray(ROLES)} AS roles),
      a AS (SELECT acc.id, row_number() OVER (ORDER BY acc.id) AS rn FROM crm_core.crm_accounts acc
            WHERE acc.tenant_id = ${t} AND acc.deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM crm_core.crm_contacts c WHERE c.tenant_id = acc.tenant_id
                              AND c.account_id = acc.id)),
      p AS (SELECT a.id AS account_id, a.rn, g, (a.rn * 31 + g * 17) AS h FROM a, generate_series(1, ${perAccount}::int) g)
      INSERT INTO crm_core.crm_contacts (tenant_id, id, account_id, first_name, last_name, display_name, call_name,
        title, buying_role, is_primary, owner_id, email_opt_in, custom_fields, created_by, updated_by, created_at)
      SELECT ${t}, crm_core.uuid_v7(), p.account_id,
        n.mid[1 + (p.h / 3) % array_length(n.mid, 1)] || ' ' || n.giv[1 + (p.h * 7) % array_length(n.giv, 1)],
        n.fam[1 + (p.h * 13) % array_length(n.fam, 1)],
        n.fam[1 + (p.h * 13) % array_length(n.fam, 1)] || ' ' || n.mid[1 + (p.h / 3) % array_length(n.mid, 1)]
          || ' ' || n.giv[1 + (p.h * 7) % array_length(n.giv, 1)],
        n.giv[1 + (p.h * 7) % array_length(n.giv, 1)],
        n.titles[1 + p.h % array_length(n.titles, 1)], n.roles[1 + p.g % array_length(n.roles, 1)],
        p.g = 1, CASE WHEN p.h % 3 = 0 THEN NULL ELSE ${owner} END, p.h % 2 = 0, '{}'::jsonb, ${owner}, ${owner},
        now() - ((p.h * 3) % 700) * interval '1 day'
      FROM p, n`.execute(k),
    );
    log('[seed] contact channels');
    await db.owner((k) =>
      sql`
      WITH m AS (SELECT ${textArray(MOBILE)} AS mob),
      c AS (SELECT c.id, c.call_name, c.last_name, row_number() OVER (ORDER BY c.id) AS rn
            FROM crm_core.crm_contacts c WHERE c.tenant_id = ${t}
              AND NOT EXISTS (SELECT 1 FROM crm_core.crm_contact_channels ch WHERE ch.tenant_id = c.tenant_id
                              AND ch.contact_id = c.id)),
      d AS (SELECT c.*, m.mob[1 + c.rn % array_length(m.mob, 1)] AS pre,
                   lpad(((c.rn * 7919 + 1234567) % 10000000)::text, 7, '0') AS sub FROM c, m)
      INSERT INTO crm_core.crm_contact_channels (tenant_id, id, contact_id, kind, value, raw_value, label,
        is_primary, position, mx_status, created_by)
      SELECT ${t}, crm_core.uuid_v7(), d.id, 'phone', '+84' || d.pre || d.sub,
             '0' || d.pre || ' ' || substr(d.sub, 1, 3) || ' ' || substr(d.sub, 4), 'mobile', true, 0, NULL, ${owner}
      FROM d
      UNION ALL
      SELECT ${t}, crm_core.uuid_v7(), d.id, 'email',
             replace(crm_core.fold_text(d.call_name || '.' || d.last_name), ' ', '') || d.rn || '@example.vn',
             replace(crm_core.fold_text(d.call_name || '.' || d.last_name), ' ', '') || d.rn || '@example.vn',
             'work', true, 1, 'unchecked', ${owner}
      FROM d`.execute(k),
    );
  }

  // Deals: for accounts without one, a share of them; stages spread over the default pipeline.
  if (sizes.dealsPerAccount > 0) {
    log('[seed] deals');
    const every = Math.max(1, Math.round(1 / sizes.dealsPerAccount));
    await db.owner((k) =>
      sql`
      WITH w AS (SELECT ${textArray(DEAL_WORDS)} AS words),
      st AS (SELECT s.id, s.code, s.pipeline_id, s.default_probability, s.outcome, s.position,
                    row_number() OVER (ORDER BY s.position) AS k
             FROM crm_core.crm_pipeline_stages s JOIN crm_core.crm_pipelines p
               ON p.tenant_id = s.tenant_id AND p.id = s.pipeline_id AND p.is_default AND p.deleted_at IS NULL
             WHERE s.tenant_id = ${t} AND s.deleted_at IS NULL),
      a AS (SELECT acc.id, acc.name, row_number() OVER (ORDER BY acc.id) AS rn,
                   (SELECT c.id FROM crm_core.crm_contacts c WHERE c.tenant_id = acc.tenant_id AND c.account_id = acc.id
                    ORDER BY c.is_primary DESC, c.id LIMIT 1) AS contact_id
            FROM crm_core.crm_accounts acc WHERE acc.tenant_id = ${t} AND acc.deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM crm_core.crm_deals d WHERE d.tenant_id = acc.tenant_id AND d.account_id = acc.id)),
      pick AS (SELECT a.*, (SELECT count(*) FROM st) AS nst,
                      -- Most deals are open: the 7 default stages weighted 30/20/15/10/12/10/3 %.
                      CASE WHEN a.rn % 100 < 30 THEN 1 WHEN a.rn % 100 < 50 THEN 2 WHEN a.rn % 100 < 65 THEN 3
                           WHEN a.rn % 100 < 75 THEN 4 WHEN a.rn % 100 < 87 THEN 5 WHEN a.rn % 100 < 97 THEN 6
                           ELSE 7 END AS k
               FROM a WHERE a.rn % ${every}::int = 0)
      INSERT INTO crm_core.crm_deals (tenant_id, id, account_id, primary_contact_id, name, amount_minor, currency,
        pipeline_id, stage_id, probability, expected_close_date, status, lost_reason, closed_at, owner_id,
        stage_entered_at, lead_source, custom_fields, created_by, updated_by, created_at, tags)
      SELECT ${t}, crm_core.uuid_v7(), pick.id, pick.contact_id,
        w.words[1 + pick.rn % array_length(w.words, 1)] || ' – ' || pick.name,
        CASE WHEN pick.rn % 7 = 0 THEN (100000 + (pick.rn * 7919) % 20000000)::bigint
             ELSE (10000000 + ((pick.rn * 104729) % 500) * 10000000)::bigint END,
        CASE WHEN pick.rn % 7 = 0 THEN 'USD' ELSE 'VND' END,
        st.pipeline_id, st.id, st.default_probability,
        CASE WHEN st.outcome IS NULL THEN current_date + ((pick.rn % 150) - 30)::int END,
        coalesce(st.outcome, 'open'),
        CASE WHEN st.outcome = 'lost' THEN (ARRAY['Giá cao','Chọn đối thủ','Không có ngân sách','Hoãn dự án'])[1 + pick.rn % 4] END,
        CASE WHEN st.outcome IS NOT NULL THEN now() - (pick.rn % 180) * interval '1 day' END,
        ${owner}, now() - (pick.rn % 60) * interval '1 day',
        (ARRAY['website','referral','event','zalo','partner'])[1 + pick.rn % 5], '{}'::jsonb, ${owner}, ${owner},
        now() - (60 + pick.rn % 300) * interval '1 day',
        CASE WHEN pick.rn % 5 = 0 THEN ARRAY['enterprise'] ELSE '{}'::text[] END
      FROM pick JOIN st ON st.k = pick.k, w`.execute(k),
    );
    log('[seed] stage history');
    await db.owner((k) =>
      sql`
      INSERT INTO crm_core.crm_stage_transitions (tenant_id, id, deal_id, pipeline_id, from_stage_id, to_stage_id,
        from_status, to_status, probability, actor_type, actor_id, occurred_at)
      SELECT d.tenant_id, crm_core.uuid_v7(), d.id, d.pipeline_id, NULL, d.stage_id, NULL, d.status, d.probability,
        'system', NULL, d.stage_entered_at
      FROM crm_core.crm_deals d WHERE d.tenant_id = ${t}
        AND NOT EXISTS (SELECT 1 FROM crm_core.crm_stage_transitions s WHERE s.tenant_id = d.tenant_id AND s.deal_id = d.id)`.execute(
        k,
      ),
    );
  }

  if (sizes.activitiesPerDeal > 0) {
    log('[seed] activities');
    await db.owner((k) =>
      sql`
      WITH kinds AS (SELECT ${textArray(ACTIVITY)} AS k),
      d AS (SELECT d.id, d.account_id, d.primary_contact_id, row_number() OVER (ORDER BY d.id) AS rn
            FROM crm_core.crm_deals d WHERE d.tenant_id = ${t}
              AND NOT EXISTS (SELECT 1 FROM crm_core.crm_activities a WHERE a.tenant_id = d.tenant_id AND a.deal_id = d.id))
      INSERT INTO crm_core.crm_activities (tenant_id, id, kind, subject, body_markdown, occurred_at, account_id,
        contact_id, deal_id, source, metadata, owner_id, actor_type, created_by)
      SELECT ${t}, crm_core.uuid_v7(), kinds.k[1 + (d.rn + g) % array_length(kinds.k, 1)],
        (ARRAY['Gọi điện trao đổi nhu cầu','Gửi báo giá','Họp demo sản phẩm','Ghi chú sau cuộc họp',
               'Khảo sát tại văn phòng khách hàng'])[1 + (d.rn + g) % 5],
        'Khách hàng quan tâm gói **Doanh nghiệp**; hẹn trao đổi thêm.',
        now() - ((d.rn * 13 + g * 29) % 120) * interval '1 day', d.account_id, d.primary_contact_id, d.id,
        'manual', '{}'::jsonb, ${owner}, 'user', ${owner}
      FROM d, kinds, generate_series(1, ${sizes.activitiesPerDeal}::int) g`.execute(k),
    );
  }

  await db.owner((k) =>
    sql`ANALYZE crm_core.crm_contacts, crm_core.crm_contact_channels, crm_core.crm_deals,
    crm_core.crm_activities`.execute(k),
  );
  const [accounts, contacts, channels, deals, activities] = await Promise.all([
    count(db, 'crm_accounts', tenantId),
    count(db, 'crm_contacts', tenantId),
    count(db, 'crm_contact_channels', tenantId),
    count(db, 'crm_deals', tenantId),
    count(db, 'crm_activities', tenantId),
  ]);
  return { accounts, contacts, channels, deals, activities, seconds: (performance.now() - started) / 1000 };
}
