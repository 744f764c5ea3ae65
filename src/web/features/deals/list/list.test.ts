import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv.js';
import { DEFAULT_SORT, nextSort, readFilters, toQuery, writeFilters } from './filters.js';
import { runPool } from './pool.js';

/** The deals list's pure parts: CSV encoding, URL filters, the bulk-action pool. */

describe('CSV', () => {
  it('quotes every text field, doubles quotes, keeps newlines and Vietnamese, starts with a BOM', () => {
    const csv = toCsv([
      ['Tên', 'Số tiền'],
      ['Hợp đồng "Sao Việt", giai đoạn 2\ndòng hai', 1250000],
    ]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toBe('\uFEFF"Tên","Số tiền"\r\n"Hợp đồng ""Sao Việt"", giai đoạn 2\ndòng hai",1250000\r\n');
  });

  it('keeps formula-looking text as text', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+84912345678')).toBe('"\'+84912345678"');
    expect(csvField('@me')).toBe('"\'@me"');
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('""');
    expect(csvField(Number.NaN)).toBe('""');
  });
});

describe('URL filters', () => {
  it('round-trip through the URL and map to the API query, keeping other params', () => {
    const sp = new URLSearchParams('new=1&status=won&amount_min=1000&sort=-amount&q=%20sao%20&bogus=1');
    const f = readFilters(sp);
    expect(f).toMatchObject({ status: 'won', amountMin: 1000, amountMax: null, sort: '-amount', q: ' sao ' });
    expect(toQuery(f)).toEqual({ sort: '-amount', limit: 50, status: 'won', amount_min: 1000, q: 'sao' });
    const back = writeFilters(sp, { ...f, status: '', sort: DEFAULT_SORT });
    expect(back.get('new')).toBe('1');
    expect(back.has('status')).toBe(false);
    expect(back.has('sort')).toBe(false);
    expect(back.get('amount_min')).toBe('1000');
  });

  it('ignores values the API would refuse rather than sending them', () => {
    const f = readFilters(new URLSearchParams('status=maybe&sort=owner&amount_max=-3'));
    expect(f.status).toBe('');
    expect(f.sort).toBe(DEFAULT_SORT);
    expect(f.amountMax).toBeNull();
  });

  it('sorts a new column in its natural direction, then flips', () => {
    expect(nextSort('-created_at', 'name')).toBe('name');
    expect(nextSort('name', 'name')).toBe('-name');
    expect(nextSort('-name', 'name')).toBe('name');
    expect(nextSort('name', 'amount')).toBe('-amount');
  });
});

describe('runPool', () => {
  it('runs at most n at a time and reports every outcome in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const progress: number[] = [];
    const results = await runPool(
      Array.from({ length: 10 }, (_, i) => i),
      4,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5 + (i % 3)));
        inFlight--;
        if (i % 4 === 3) throw new Error(`no ${i}`);
        return i * 2;
      },
      (done) => progress.push(done),
    );
    expect(peak).toBe(4);
    expect(results.map((r) => r.item)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.filter((r) => !r.ok).map((r) => r.item)).toEqual([3, 7]);
    expect(results[2]).toEqual({ item: 2, ok: true, value: 4 });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
