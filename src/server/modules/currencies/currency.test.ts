import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOf, outboxOf, writeCounts } from '../../../../test/factories/pipelines.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import { DEFAULT_USD_RATE } from '../workspaces/workspace.provision.js';
import { loadRates, totalInBase } from './currency.money.js';
import type { RateJson } from './currency.presenter.js';
import type { ConversionJson, RatePage } from './currency.service.js';

/**
 * Exchange rates end to end: the seeded VND/USD rate, CRUD with decimal-string rates, one rate per
 * currency and day, If-Match, admin-only writes, conversion at the rate valid on a date, isolation, and
 * the audit row + event of each write.
 */

const BASE = '/crm/v1/exchange-rates';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function list(ws: TestWorkspace, query = ''): Promise<RateJson[]> {
  const res = await ws.admin.client.get<RatePage>(`${BASE}${query}`);
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
}

async function add(ws: TestWorkspace, body: Record<string, unknown>): Promise<RateJson> {
  const res = await ws.admin.client.post<RateJson>(BASE, body);
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

async function convert(ws: TestWorkspace, q: string) {
  return ws.admin.client.get<ConversionJson>(`${BASE}/convert?${q}`);
}
async function convertFails(ws: TestWorkspace, q: string) {
  return ws.admin.client.get<ProblemDocument>(`${BASE}/convert?${q}`);
}

describe('the seeded rate', () => {
  it('a new workspace starts with a plausible VND per USD rate, readable by every member', async () => {
    const ws = await createWorkspace(t);
    const rates = await list(ws);
    expect(rates).toHaveLength(1);
    expect(rates[0]).toMatchObject({
      base_currency: 'VND',
      currency: 'USD',
      rate: DEFAULT_USD_RATE,
      effective_date: '2026-01-01',
      abilities: ['update', 'delete'],
    });
    for (const role of ['viewer', 'sales_rep', 'marketing'] as const) {
      const m = await addMember(t, ws, role);
      const res = await m.client.get<RatePage>(BASE);
      expect(res.status).toBe(200);
      expect(res.body.data.map((r) => r.id)).toEqual([rates[0]?.id]);
      expect(res.body.data[0]?.abilities).toEqual([]);
    }
  });
});

describe('POST /exchange-rates', () => {
  it('stores the decimal string exactly (no float), base from the workspace; Location and ETag', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<RateJson>(BASE, {
      currency: 'usd',
      rate: '25400.5500000001',
      effective_date: '2026-03-01',
      source: 'Vietcombank',
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      base_currency: 'VND',
      currency: 'USD',
      rate: '25400.5500000001',
      effective_date: '2026-03-01',
      source: 'Vietcombank',
      version: 1,
      created_by: ws.admin.userId,
      deleted_at: null,
    });
    // trailing zeros are not significant
    const b = await add(ws, { currency: 'USD', rate: '25500.10', effective_date: '2026-04-01' });
    expect(b.rate).toBe('25500.1');
    expect(b.source).toBeNull();
    const c = await add(ws, { currency: 'EUR', rate: '0.0000000001', effective_date: '2026-04-01' });
    expect(c.rate).toBe('0.0000000001');
    const get = await ws.admin.client.get<RateJson>(`${BASE}/${c.id}`);
    expect(get.body).toEqual(c);
    expect(get.headers.etag).toBe('"1"');
  });

  it('422 naming the field: floats, too many decimals, zero, bad codes and dates, the base currency', async () => {
    const ws = await createWorkspace(t);
    const before = await writeCounts(t, ws.id);
    const ok = { currency: 'USD', rate: '25400', effective_date: '2026-02-01' };
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ ...ok, rate: 25400 }, ['rate']],
      [{ ...ok, rate: 25400.5 }, ['rate']],
      [{ ...ok, rate: '25400.12345678901' }, ['rate']],
      [{ ...ok, rate: '0' }, ['rate']],
      [{ ...ok, rate: '0.0000000000' }, ['rate']],
      [{ ...ok, rate: '-1' }, ['rate']],
      [{ ...ok, rate: '1e5' }, ['rate']],
      [{ ...ok, rate: '25,400' }, ['rate']],
      [{ ...ok, rate: '123456789012345' }, ['rate']],
      [{ ...ok, rate: '' }, ['rate']],
      [{ ...ok, currency: 'US' }, ['currency']],
      [{ ...ok, currency: 'US1' }, ['currency']],
      [{ ...ok, currency: 'VND' }, ['currency']],
      [{ ...ok, currency: 'vnd' }, ['currency']],
      [{ ...ok, effective_date: '2026-02-30' }, ['effective_date']],
      [{ ...ok, effective_date: '01/02/2026' }, ['effective_date']],
      [{ ...ok, effective_date: '2026-02-01T00:00:00Z' }, ['effective_date']],
      [{ ...ok, source: 'x'.repeat(201) }, ['source']],
      [{ ...ok, base_currency: 'USD' }, ['base_currency']],
      [{ rate: '1' }, ['currency', 'effective_date']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post(BASE, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('one rate per currency and day: 409 naming effective_date; free again once deleted', async () => {
    const ws = await createWorkspace(t);
    const dup = await ws.admin.client.post(BASE, {
      currency: 'USD',
      rate: '26000',
      effective_date: '2026-01-01',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
    expect(fieldsOf(dup.body)).toEqual(['effective_date']);
    const seeded = (await list(ws))[0] as RateJson;
    expect((await ws.admin.client.delete(`${BASE}/${seeded.id}`)).status).toBe(200);
    await add(ws, { currency: 'USD', rate: '26000', effective_date: '2026-01-01' });
  });
});

describe('GET /exchange-rates', () => {
  it('newest effective date first, filtered by currency, cursor-paginated', async () => {
    const ws = await createWorkspace(t);
    await add(ws, { currency: 'USD', rate: '24000', effective_date: '2025-06-01' });
    await add(ws, { currency: 'EUR', rate: '27000', effective_date: '2026-02-01' });
    await add(ws, { currency: 'USD', rate: '25800', effective_date: '2026-05-01' });
    await add(ws, { currency: 'JPY', rate: '170.25', effective_date: '2026-05-01' });
    const all = await list(ws);
    expect(all.map((r) => `${r.currency}@${r.effective_date}`)).toEqual([
      'JPY@2026-05-01',
      'USD@2026-05-01',
      'EUR@2026-02-01',
      'USD@2026-01-01',
      'USD@2025-06-01',
    ]);
    expect((await list(ws, '?currency=usd')).map((r) => r.effective_date)).toEqual([
      '2026-05-01',
      '2026-01-01',
      '2025-06-01',
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const url: string = `${BASE}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await ws.admin.client.get<RatePage>(url);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((r) => r.id));
      cursor = res.body.page.next_cursor;
      expect(res.body.page.has_more).toBe(cursor !== null);
      if (!cursor) break;
    }
    expect(seen).toEqual(all.map((r) => r.id));
    const bad = await ws.admin.client.get(`${BASE}?cursor=abc`);
    expect(bad.status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ s: 'rates', k: ['x', 'y'] })).toString('base64url');
    expect((await ws.admin.client.get(`${BASE}?cursor=${forged}`)).status).toBe(400);
    expect(fieldsOf((await ws.admin.client.get(`${BASE}?limit=1000`)).body)).toEqual(['limit']);
    expect(fieldsOf((await ws.admin.client.get(`${BASE}?currency=x`)).body)).toEqual(['currency']);
    expect((await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`)).status).toBe(404);
  });
});

describe('PATCH and DELETE', () => {
  it('corrects rate and source with If-Match; a stale version is 412; a same-value PATCH is a no-op', async () => {
    const ws = await createWorkspace(t);
    const r = await add(ws, { currency: 'USD', rate: '25000', effective_date: '2026-02-01' });
    const url = `${BASE}/${r.id}`;
    const res = await ws.admin.client.patch<RateJson>(
      url,
      { rate: '25050.75', source: 'SBV' },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      rate: '25050.75',
      source: 'SBV',
      version: 2,
      updated_by: ws.admin.userId,
    });
    const stale = await ws.admin.client.patch(url, { rate: '1' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.current_version).toBe(2);
    expect((await ws.admin.client.patch(url, { rate: '1', version: 1 })).status).toBe(412);
    const same = await ws.admin.client.patch<RateJson>(url, { rate: '25050.7500' });
    expect(same.body.version).toBe(2);
    const bad = await ws.admin.client.patch(url, { rate: 1.5, currency: 'EUR' });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['currency', 'rate']);
    expect((await ws.admin.client.patch(url, {})).status).toBe(422);
    const cleared = await ws.admin.client.patch<RateJson>(url, { source: null });
    expect(cleared.body.source).toBeNull();
  });

  it('deletes softly: gone from GET, the list and conversions; a second delete is 404', async () => {
    const ws = await createWorkspace(t);
    const r = await add(ws, { currency: 'USD', rate: '30000', effective_date: '2026-03-01' });
    expect(
      (await convert(ws, 'amount_minor=100&currency=USD&date=2026-03-05')).body.converted.amount_minor,
    ).toBe(30000);
    const del = await ws.admin.client.delete<RateJson>(`${BASE}/${r.id}`, { 'if-match': '"1"' });
    expect(del.status, del.raw).toBe(200);
    expect(del.body.deleted_at).not.toBeNull();
    expect(del.body.abilities).toEqual([]);
    expect((await ws.admin.client.get(`${BASE}/${r.id}`)).status).toBe(404);
    expect((await list(ws)).map((x) => x.id)).not.toContain(r.id);
    // the conversion falls back to the seeded 2026-01-01 rate
    const after = await convert(ws, 'amount_minor=100&currency=USD&date=2026-03-05');
    expect(after.body.rate).toEqual({ currency: 'USD', rate: '25400', effective_date: '2026-01-01' });
    expect((await ws.admin.client.delete(`${BASE}/${r.id}`)).status).toBe(404);
    expect((await ws.admin.client.patch(`${BASE}/${r.id}`, { rate: '1' })).status).toBe(404);
  });
});

describe('GET /exchange-rates/convert', () => {
  it('uses the rate valid on the date: the latest effective on or before it, never a later one', async () => {
    const ws = await createWorkspace(t);
    await add(ws, { currency: 'USD', rate: '24000', effective_date: '2025-07-01' });
    await add(ws, { currency: 'USD', rate: '26000.5', effective_date: '2026-06-01' });
    const at = async (date: string) => {
      const res = await convert(ws, `amount_minor=123456&currency=USD&date=${date}`);
      expect(res.status, res.raw).toBe(200);
      return res.body;
    };
    // $1,234.56
    expect((await at('2025-12-31')).converted).toEqual({ currency: 'VND', amount_minor: 29_629_440 });
    expect((await at('2025-12-31')).rate?.effective_date).toBe('2025-07-01');
    expect((await at('2026-01-01')).converted.amount_minor).toBe(31_357_824);
    expect((await at('2026-05-31')).rate).toEqual({
      currency: 'USD',
      rate: '25400',
      effective_date: '2026-01-01',
    });
    // 1234.56 × 26000.5 = 32,099,177.28 → 32,099,177
    const june = await at('2026-06-01');
    expect(june).toEqual({
      amount: { currency: 'USD', amount_minor: 123456 },
      converted: { currency: 'VND', amount_minor: 32_099_177 },
      rate: { currency: 'USD', rate: '26000.5', effective_date: '2026-06-01' },
      date: '2026-06-01',
    });
    const before = await convertFails(ws, 'amount_minor=100&currency=USD&date=2025-06-30');
    expect(before.status).toBe(422);
    expect(fieldsOf(before.body)).toEqual(['date']);
    expect(before.body.errors?.[0]?.code).toBe('no_rate');
    const noEur = await convert(ws, 'amount_minor=100&currency=EUR&date=2026-06-01');
    expect(noEur.status).toBe(422);
  });

  it('exact beyond float precision; base currency passes through; today by default; bad input named', async () => {
    const ws = await createWorkspace(t);
    await add(ws, { currency: 'USD', rate: '25400.123', effective_date: '2026-02-01' });
    const big = await convert(ws, 'amount_minor=9007199254740&currency=USD&date=2026-02-02');
    // 90,071,992,547.40 USD × 25,400.123 = 2,287,839,689,559,043.3302 VND (a float product drifts here)
    expect(big.status, big.raw).toBe(200);
    expect(big.body.converted.amount_minor).toBe(2_287_839_689_559_043);
    const vnd = await convert(ws, 'amount_minor=5000000&currency=VND');
    expect(vnd.body).toMatchObject({ converted: { currency: 'VND', amount_minor: 5_000_000 }, rate: null });
    expect(vnd.body.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const today = await convert(ws, 'amount_minor=100&currency=USD');
    expect(today.status).toBe(200);
    const cases: Array<[string, string[]]> = [
      ['currency=USD', ['amount_minor']],
      ['amount_minor=1.5&currency=USD', ['amount_minor']],
      ['amount_minor=99999999999999999&currency=USD', ['amount_minor']],
      ['amount_minor=100', ['currency']],
      ['amount_minor=100&currency=USD&date=2026-13-01', ['date']],
      ['amount_minor=100&currency=USD&extra=1', ['extra']],
    ];
    for (const [q, fields] of cases) {
      const res = await convertFails(ws, q);
      expect(res.status, q).toBe(422);
      expect(fieldsOf(res.body), q).toEqual(fields);
    }
  });
});

describe('authorization and isolation', () => {
  it('only admins write (managers and reps get 403); a key without crm.admin gets 403 insufficient_scope', async () => {
    const ws = await createWorkspace(t);
    const seeded = (await list(ws))[0] as RateJson;
    for (const role of ['manager', 'sales_rep', 'viewer'] as const) {
      const m = await addMember(t, ws, role);
      expect((await m.client.get(`${BASE}/${seeded.id}`)).status).toBe(200);
      expect((await m.client.get(`${BASE}/convert?amount_minor=1&currency=USD`)).status).toBe(200);
      const writes = [
        await m.client.post(BASE, { currency: 'EUR', rate: '27000', effective_date: '2026-02-01' }),
        await m.client.patch(`${BASE}/${seeded.id}`, { rate: '1' }),
        await m.client.delete(`${BASE}/${seeded.id}`),
      ];
      for (const w of writes) {
        expect(w.status, role).toBe(403);
        expect(w.body.code).toBe('forbidden');
      }
    }
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const res = await key.client.post(
      BASE,
      { currency: 'EUR', rate: '27000', effective_date: '2026-02-01' },
      { 'idempotency-key': 'rate-1' },
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect((await ws.admin.client.get<RateJson>(`${BASE}/${seeded.id}`)).body.version).toBe(1);
  });

  it('B cannot read or change A’s rates; A’s never appear in B’s list or conversions', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const ra = await add(a, { currency: 'EUR', rate: '27500', effective_date: '2026-02-01' });
    const c = b.admin.client;
    for (const r of [
      await c.get(`${BASE}/${ra.id}`),
      await c.patch(`${BASE}/${ra.id}`, { rate: '1' }),
      await c.delete(`${BASE}/${ra.id}`),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('exchange_rate_not_found');
    }
    const idsA = (await list(a)).map((r) => r.id);
    const idsB = (await list(b)).map((r) => r.id);
    for (const id of idsA) expect(idsB).not.toContain(id);
    expect(await list(b, '?currency=EUR')).toEqual([]);
    expect((await convert(b, 'amount_minor=100&currency=EUR&date=2026-03-01')).status).toBe(422);
    expect((await a.admin.client.get<RateJson>(`${BASE}/${ra.id}`)).body).toEqual(ra);
  });
});

describe('audit and events', () => {
  it('exchange_rate.created / updated / deleted: an audit row with a diff and an event each', async () => {
    const ws = await createWorkspace(t);
    const r = await add(ws, { currency: 'USD', rate: '25600', effective_date: '2026-04-01', source: 'VCB' });
    await ws.admin.client.patch(`${BASE}/${r.id}`, { rate: '25650.5' });
    const del = await ws.admin.client.delete<RateJson>(`${BASE}/${r.id}`);
    const audit = await auditOf(ws, r.id);
    expect(audit.map((x) => x.action)).toEqual([
      'exchange_rate.created',
      'exchange_rate.updated',
      'exchange_rate.deleted',
    ]);
    for (const x of audit) expect(x.entity_type).toBe('exchange_rate');
    expect(audit[0]?.diff).toMatchObject({
      currency: { from: null, to: 'USD' },
      rate: { from: null, to: '25600' },
      base_currency: { from: null, to: 'VND' },
      effective_date: { from: null, to: '2026-04-01' },
    });
    expect(audit[1]?.diff).toEqual({ rate: { from: '25600', to: '25650.5' } });
    expect(audit[2]?.diff).toEqual({ deleted_at: { from: null, to: del.body.deleted_at } });
    const events = await outboxOf<{ exchange_rate: RateJson; changes?: unknown }>(t, ws.id, r.id);
    expect(events.map((e) => e.topic)).toEqual([
      'exchange_rate.created',
      'exchange_rate.updated',
      'exchange_rate.deleted',
    ]);
    expect(events[1]?.payload.data.exchange_rate.rate).toBe('25650.5');
    expect(events[1]?.payload.data.changes).toEqual(audit[1]?.diff);
    const chain = await ws.admin.client.get<{ ok: boolean }>('/crm/v1/audit/verify');
    expect(chain.body.ok).toBe(true);
  });
});

describe('totals at the rate valid on a date (loadRates + totalInBase over this table)', () => {
  it('earlier and later effective dates, several currencies, a deleted rate ignored', async () => {
    const ws = await createWorkspace(t);
    await add(ws, { currency: 'USD', rate: '24500', effective_date: '2025-10-01' });
    await add(ws, { currency: 'USD', rate: '26000', effective_date: '2026-07-01' });
    await add(ws, { currency: 'EUR', rate: '28000.5', effective_date: '2026-03-01' });
    const gone = await add(ws, { currency: 'USD', rate: '99999', effective_date: '2026-02-01' });
    expect((await ws.admin.client.delete(`${BASE}/${gone.id}`)).status).toBe(200);
    const amounts = [
      { currency: 'VND', amount_minor: 10_000_000 },
      { currency: 'USD', amount_minor: 100_00 },
      { currency: 'EUR', amount_minor: 10_00 },
    ];
    const totalOn = async (on: string) =>
      totalInBase('VND', amounts, await t.db.read(ws.id, (db) => loadRates(db, 'VND', on)));

    // Before any EUR rate: the total is withheld, never a raw sum.
    const feb = await totalOn('2026-02-15');
    expect(feb).toMatchObject({ amount_minor: null, missing_rates: ['EUR'] });
    expect(feb.rates).toEqual([{ currency: 'USD', rate: '25400', effective_date: '2026-01-01' }]);

    const dec = await totalOn('2025-12-31');
    expect(dec.rates.map((r) => r.rate)).toEqual(['24500']);

    // 10,000,000 + 100 × 25,400 + 10 × 28,000.5
    const june = await totalOn('2026-06-30');
    expect(june.amount_minor).toBe(10_000_000 + 2_540_000 + 280_005);
    expect(june.breakdown).toEqual([
      { currency: 'VND', amount_minor: 10_000_000 },
      { currency: 'EUR', amount_minor: 1000 },
      { currency: 'USD', amount_minor: 10000 },
    ]);
    // the later USD rate applies from its own day on
    const july = await totalOn('2026-07-01');
    expect(july.amount_minor).toBe(10_000_000 + 2_600_000 + 280_005);
    expect(july.rates).toEqual([
      { currency: 'EUR', rate: '28000.5', effective_date: '2026-03-01' },
      { currency: 'USD', rate: '26000', effective_date: '2026-07-01' },
    ]);
  });
});
