import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeal } from '../../../../test/factories/search.js';
import {
  addMember,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { SearchResponse } from './search.schema.js';

/**
 * Deal search in a workspace of few deals (migration 0030) ranks them all in one pass. Below the tiers'
 * 200-match cap both must give the same rows in the same order, for every kind of query and under the
 * per-deal ACL: the one pass is compared here with the tiers it stands in for.
 */

let t: TestApp;
let ws: TestWorkspace;
let rep: TestMember;

const NAMES = [
  'Nguyễn Văn An',
  'nguyen van an',
  'Nguyên liệu Đồng Nai',
  'Hợp đồng Nguyễn Thị Linh',
  'Linh kiện điện tử',
  'Bảo trì Linh Đàm',
  'Thành Công xây dựng',
  'xây dựng Thành Công 2',
  'Công ty Acme',
  'Acme',
  'Bigacme',
  'acme acme',
  '100% cotton_deal',
  'Cửa hàng  Hoa   Mai',
  'Đà Nẵng logistics',
  'Uyên Phương',
];

const QUERIES = [
  'nguyen',
  'Nguyễn Văn An',
  'nguy',
  'linh',
  'inh',
  'thanh cong',
  'cong thanh',
  'acme',
  'cme',
  'ac',
  '100%',
  'n_d',
  'hoa   mai',
  'da nang',
  'uyen',
  'qwxz',
  'a',
];

beforeAll(async () => {
  t = await testApp();
  ws = await createWorkspace(t);
  rep = await addMember(t, ws, 'sales_rep');
  for (const [i, name] of NAMES.entries()) {
    // Every third deal restricted: the rep owns some, is allow-listed on others, sees none of the rest.
    const restricted = i % 3 === 2;
    await insertDeal(t, ws.id, {
      name,
      acl_mode: restricted ? 'restricted' : 'default',
      owner_id: restricted && i % 2 === 0 ? rep.userId : null,
      acl_member_ids: restricted && i % 5 === 0 ? [rep.userId] : [],
    });
  }
  await insertDeal(t, ws.id, { name: 'Nguyễn deleted', deleted: true });
});
afterAll(async () => t.close());

type Hit = { id: string; rank: number; name_fold: string };

/** Both functions as the search role, in the workspace (the tiers are not granted to the app role). */
async function both(q: string, member: TestMember, limit: number): Promise<{ one: Hit[]; tiers: Hit[] }> {
  return t.db.owner((k) =>
    k.transaction().execute(async (trx) => {
      await sql`SET LOCAL ROLE crm_search`.execute(trx);
      await sql`SELECT set_config('app.tenant_id', ${ws.id}, true)`.execute(trx);
      const call = (fn: string) =>
        sql<Hit>`SELECT * FROM ${sql.raw(`crm_core.${fn}`)}(${q}, ${member.userId}::uuid, ${member.role}::text, ${limit}::int)`.execute(
          trx,
        );
      return { one: (await call('crm_deal_search')).rows, tiers: (await call('crm_deal_search_tiers')).rows };
    }),
  );
}

describe('deal search in a small workspace', () => {
  it('ranks like the tiers, query by query, for an admin and a restricted member', async () => {
    let compared = 0;
    for (const member of [ws.admin, rep]) {
      for (const q of QUERIES) {
        for (const limit of [3, 50]) {
          const { one, tiers } = await both(q, member, limit);
          expect(one, `${member.role} "${q}" limit ${limit}`).toEqual(tiers);
          compared += one.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(50); // the queries find deals: not a comparison of empty lists
  });

  it('keeps a restricted deal from a member outside its ACL, through the API', async () => {
    // Restricted: indexes 2, 5, 8, 11, 14; the rep owns 2, 8 and 14 and is allow-listed on 5, so only
    // 'acme acme' (11) is hidden from the rep.
    const names = async (m: TestMember) =>
      (await m.client.get<SearchResponse>('/crm/v1/search?q=acme&types=deals&limit=20')).body.deals?.data.map(
        (d) => d.name,
      ) ?? [];
    const admin = await names(ws.admin);
    expect(admin).toEqual(['Acme', 'acme acme', 'Công ty Acme', 'Bigacme']);
    expect(await names(rep)).toEqual(admin.filter((n) => n !== 'acme acme'));
  });
});
