import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { sampleInvoice } from './hoadon.fixtures.js';
import {
  type InvoiceDocumentInput,
  type InvoiceLine,
  parseInvoiceDocument,
  VAT_RATES,
} from './hoadon.model.js';
import { computeTotals } from './hoadon.totals.js';
import { buildInvoiceXml, InvoiceXmlError, parseInvoiceXml } from './hoadon.xml.js';
import { HOADON_XSD_VERSION, validateInvoiceXml, validateInvoiceXmlBatch } from './hoadon.xsd.js';

const related = {
  relation: 'adjustment' as const,
  form: '1' as const,
  symbol: 'C26TAA',
  number: 41,
  issueDate: '2026-11-01',
};

/** Documents covering every branch of the builder. */
const variants: Record<string, InvoiceDocumentInput> = {
  sample: sampleInvoice(),
  usd: sampleInvoice({
    currency: 'USD',
    exchangeRate: '25400.55',
    lines: [{ kind: 1, name: 'License', quantity: '3', unitPrice: '19.99', vatRate: '10%' }],
  }),
  salesInvoice: sampleInvoice({
    form: '2',
    symbol: 'K26HBC',
    buyer: {
      name: 'Nguyễn Văn Tuấn',
      nationalId: '001099012345',
      address: 'Xã Đông Anh, Hà Nội',
      phone: '0912345678',
    },
    lines: [
      { kind: 1, name: 'Bàn gỗ', unit: 'Cái', quantity: '1', unitPrice: '2500000' },
      { kind: 3, name: 'Giảm giá', quantity: '1', unitPrice: '100000' },
    ],
  }),
  adjustment: sampleInvoice({
    number: 43,
    related,
    lines: [{ kind: 1, name: 'Điều chỉnh giảm đơn giá', quantity: '1', unitPrice: '-150000', vatRate: '8%' }],
  }),
  noteOnlyAdjustment: sampleInvoice({
    number: 44,
    related,
    lines: [{ kind: 4, name: 'Điều chỉnh địa chỉ người mua' }],
  }),
  replacement: sampleInvoice({ number: 45, related: { ...related, relation: 'replacement' } }),
  minimal: {
    id: '_1',
    form: '1',
    symbol: 'C27TAA',
    number: 99_999_999,
    issueDate: '2027-01-01',
    currency: 'VND',
    exchangeRate: '1',
    providerMst: '0100109106-001',
    seller: { name: 'A', mst: '0100109106', address: 'B' },
    buyer: { name: 'C', address: 'D' },
    lines: [{ kind: 1, name: 'E', quantity: '0', unitPrice: '0', vatRate: 'KKKNT' }],
  },
};

describe('building the invoice XML', () => {
  it('writes the tax authority tree in order, UTF-8 and NFC', () => {
    const xml = buildInvoiceXml(sampleInvoice());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon Id="INV-0f8fad5b')).toBe(true);
    expect(xml).toBe(xml.normalize('NFC'));
    const order = [
      '<TTChung>',
      '<PBan>2.1.0</PBan>',
      '<THDon>Hóa đơn giá trị gia tăng</THDon>',
      '<KHMSHDon>1</KHMSHDon>',
      '<KHHDon>C26TAA</KHHDon>',
      '<SHDon>42</SHDon>',
      '<NLap>2026-11-21</NLap>',
      '<DVTTe>VND</DVTTe>',
      '<TGia>1</TGia>',
      '<HTTToan>TM/CK</HTTToan>',
      '<MSTTCGP>0300588569</MSTTCGP>',
      '</TTChung><NDHDon><NBan>',
      '<NMua>',
      '<DSHHDVu><HHDVu>',
      '<TToan><THTTLTSuat><LTSuat><TSuat>10%</TSuat><ThTien>4375000</ThTien><TThue>437500</TThue></LTSuat>',
      '<TgTCThue>9585000</TgTCThue><TgTThue>683500</TgTThue><TTCKTMai>150000</TTCKTMai><TgTTTBSo>10268500</TgTTTBSo>',
      '<TgTTTBChu>Mười triệu hai trăm sáu mươi tám nghìn năm trăm đồng</TgTTTBChu></TToan></NDHDon></DLHDon>',
      '<DSCKS><NBan/></DSCKS></HDon>',
    ];
    let at = 0;
    for (const part of order) {
      const found = xml.indexOf(part, at);
      expect(found, part).toBeGreaterThanOrEqual(at);
      at = found + part.length;
    }
  });

  it('escapes markup in text', () => {
    const xml = buildInvoiceXml(
      sampleInvoice({ buyer: { name: 'A & B <Co> "Ltd" \'x\' ]]>', address: '1 < 2 > 0' } }),
    );
    expect(xml).toContain('<Ten>A &amp; B &lt;Co&gt; "Ltd" \'x\' ]]&gt;</Ten>');
    expect(parseInvoiceXml(xml).document.buyer.name).toBe('A & B <Co> "Ltd" \'x\' ]]>');
  });

  it('writes the related invoice block for adjustments and replacements', () => {
    expect(buildInvoiceXml(variants.adjustment as InvoiceDocumentInput)).toContain(
      '<MSTTCGP>0300588569</MSTTCGP><TTHDLQuan><TCHDon>2</TCHDon><LHDCLQuan>1</LHDCLQuan><KHMSHDCLQuan>1</KHMSHDCLQuan>' +
        '<KHHDCLQuan>C26TAA</KHHDCLQuan><SHDCLQuan>41</SHDCLQuan><NLHDCLQuan>2026-11-01</NLHDCLQuan></TTHDLQuan>',
    );
    expect(buildInvoiceXml(variants.replacement as InvoiceDocumentInput)).toContain('<TCHDon>1</TCHDon>');
  });

  it('a sales invoice has no rates, no VAT totals', () => {
    const xml = buildInvoiceXml(variants.salesInvoice as InvoiceDocumentInput);
    expect(xml).toContain('<THDon>Hóa đơn bán hàng</THDon>');
    expect(xml).not.toContain('TSuat');
    expect(xml).not.toContain('TgTThue');
    expect(xml).toContain('<CCCDan>001099012345</CCCDan>');
    expect(xml).toContain('<TgTTTBSo>2400000</TgTTTBSo>');
  });

  it('refuses an invalid document before writing anything', () => {
    expect(() => buildInvoiceXml(sampleInvoice({ symbol: 'C26' }))).toThrow(ZodError);
  });
});

describe('reading the XML back', () => {
  it.each(Object.entries(variants))('%s round-trips', (_, input) => {
    const doc = parseInvoiceDocument(input);
    const parsed = parseInvoiceXml(buildInvoiceXml(input));
    expect(parsed.document).toEqual(doc);
    expect(parsed.totals).toEqual(computeTotals(doc));
    expect(parsed.signed).toBe(false);
  });

  it('refuses what is not an invoice', () => {
    expect(() => parseInvoiceXml('<HDon><DLHDon>')).toThrow(InvoiceXmlError);
    expect(() => parseInvoiceXml('<Invoice/>')).toThrow(/not HDon/);
    expect(() => parseInvoiceXml('<HDon/>')).toThrow(/no DLHDon/);
    const withDoctype = `<?xml version="1.0"?><!DOCTYPE HDon [<!ENTITY x "y">]>${buildInvoiceXml(sampleInvoice()).slice(38)}`;
    expect(() => parseInvoiceXml(withDoctype)).toThrow(/DOCTYPE/);
  });
});

describe('our XSD', () => {
  it(`is versioned (${HOADON_XSD_VERSION}) and accepts every variant`, async () => {
    const xmls = Object.values(variants).map((v) => buildInvoiceXml(v));
    const results = await validateInvoiceXmlBatch(xmls);
    for (const [i, r] of results.entries())
      expect(r, Object.keys(variants)[i]).toEqual({ valid: true, errors: [] });
    expect(HOADON_XSD_VERSION).toBe('hoadon-v1');
  });

  it('rejects broken documents, naming the problem', async () => {
    const good = buildInvoiceXml(sampleInvoice());
    const broken: Record<string, [string, RegExp]> = {
      'bad MST': [good.replace('<MST>0101248141</MST>', '<MST>010124814</MST>'), /MST/],
      'unknown rate': [good.replace('<TSuat>8%</TSuat>', '<TSuat>7%</TSuat>'), /TSuat/],
      exponent: [good.replace('<TgTTTBSo>10268500', '<TgTTTBSo>1.02685e7'), /TgTTTBSo/],
      'comma decimal': [good.replace('<SLuong>12.5</SLuong>', '<SLuong>12,5</SLuong>'), /SLuong/],
      'trailing zero': [good.replace('<SLuong>12.5</SLuong>', '<SLuong>12.50</SLuong>'), /SLuong/],
      '7 decimals': [good.replace('<SLuong>12.5</SLuong>', '<SLuong>12.5000001</SLuong>'), /SLuong/],
      '22 digits': [good.replace('<TgTTTBSo>10268500', '<TgTTTBSo>1234567890123456789012'), /TgTTTBSo/],
      'number 0': [good.replace('<SHDon>42</SHDon>', '<SHDon>0</SHDon>'), /SHDon/],
      '9-digit number': [good.replace('<SHDon>42</SHDon>', '<SHDon>123456789</SHDon>'), /SHDon/],
      'bad symbol': [good.replace('<KHHDon>C26TAA</KHHDon>', '<KHHDon>C26XAA</KHHDon>'), /KHHDon/],
      'bad date': [good.replace('<NLap>2026-11-21</NLap>', '<NLap>2026-13-01</NLap>'), /NLap/],
      'date with offset': [good.replace('<NLap>2026-11-21</NLap>', '<NLap>2026-11-21+07:00</NLap>'), /NLap/],
      'wrong order': [
        good.replace(
          '<PBan>2.1.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon>',
          '<THDon>Hóa đơn giá trị gia tăng</THDon><PBan>2.1.0</PBan>',
        ),
        /THDon|PBan/,
      ],
      'missing seller MST': [good.replace('<MST>0100109106</MST>', ''), /MST|DChi/],
      'extra element': [good.replace('<HTTToan>', '<Foo>1</Foo><HTTToan>'), /Foo/],
      'text with padding': [
        good.replace('<Ten>Công ty Cổ phần FPT</Ten>', '<Ten> Công ty Cổ phần FPT</Ten>'),
        /Ten/,
      ],
      'not a signature in the slot': [
        good.replace('<DSCKS><NBan/></DSCKS>', '<DSCKS><NBan><Signature/></NBan></DSCKS>'),
        /Signature/,
      ],
      'no signature slot': [good.replace('<DSCKS><NBan/></DSCKS>', ''), /DSCKS/],
      'missing Id': [good.replace(' Id="INV-0f8fad5b-d9cb-469f-a165-70867728950e"', ''), /Id/],
      'not well-formed': [good.replace('</HDon>', ''), /.+/],
    };
    const names = Object.keys(broken);
    const results = await validateInvoiceXmlBatch(names.map((n) => broken[n]?.[0] ?? ''));
    results.forEach((r, i) => {
      const name = names[i] ?? '';
      expect(r.valid, name).toBe(false);
      expect(r.errors.join('\n'), name).toMatch(broken[name]?.[1] ?? /x/);
    });
  });

  it('validates one document at a time too', async () => {
    expect(await validateInvoiceXml(buildInvoiceXml(sampleInvoice()))).toEqual({ valid: true, errors: [] });
    const bad = await validateInvoiceXml('<HDon/>');
    expect(bad.valid).toBe(false);
    expect(bad.errors[0]).toMatch(/line 1: .*DLHDon/);
    expect(await validateInvoiceXmlBatch([])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated documents: whatever a user types, the XML is well-formed, valid and reads back.

/** Any Unicode scalar value a one-line field may hold (the model refuses controls and separators). */
const anyCodePoint = fc
  .integer({ min: 0x20, max: 0x10ffff })
  .filter(
    (c) =>
      !(c >= 0x7f && c <= 0x9f) &&
      !(c >= 0xd800 && c <= 0xdfff) &&
      c !== 0x2028 &&
      c !== 0x2029 &&
      c !== 0xfffe &&
      c !== 0xffff,
  )
  .map((c) => String.fromCodePoint(c));

/** Text a user may type: any printable Unicode, XML specials and Vietnamese included. */
const userText = (max: number) =>
  fc
    .string({
      unit: fc.oneof(fc.constantFrom(...'<>&"\'ạđĐẫỹ ', ']]>'), anyCodePoint),
      minLength: 1,
      maxLength: max,
    })
    .map((s) => s.normalize('NFC').trim())
    .filter((s) => s.length > 0 && s.length <= max);

const decimal = (maxInt: number, maxScale: number, signed = false) =>
  fc
    .tuple(fc.boolean(), fc.integer({ min: 0, max: maxInt }), fc.integer({ min: 0, max: maxScale }), fc.nat())
    .map(([neg, i, scale, f]) => {
      const frac = scale > 0 ? `.${String(f).padStart(scale, '0').slice(-scale)}` : '';
      return `${signed && neg ? '-' : ''}${i}${frac}`;
    });

const mst = fc.oneof(
  fc.stringMatching(/^\d{10}$/),
  fc.stringMatching(/^\d{10}-\d{3}$/),
  fc.stringMatching(/^\d{12}$/),
);

const lineArb = (form: '1' | '2', adjustment: boolean): fc.Arbitrary<InvoiceLine> =>
  fc.oneof(
    fc
      .record(
        {
          kind: fc.constantFrom(1 as const, 2 as const, 3 as const),
          name: userText(500),
          unit: userText(50),
          quantity: decimal(99_999, 6, adjustment),
          unitPrice: decimal(9_999_999, form === '1' ? 2 : 0, adjustment),
          vatRate: fc.constantFrom(...VAT_RATES),
        },
        { requiredKeys: ['kind', 'name', 'quantity', 'unitPrice', 'vatRate'] },
      )
      .map((l) => {
        if (form === '1') return l;
        const { vatRate: _, ...rest } = l;
        return rest;
      }),
    fc.record({ kind: fc.constant(4 as const), name: userText(500) }),
  );

const documentArb: fc.Arbitrary<InvoiceDocumentInput> = fc
  .record({
    form: fc.constantFrom('1' as const, '2' as const),
    currency: fc.constantFrom('VND' as const, 'USD' as const),
    adjustment: fc.boolean(),
    year: fc.integer({ min: 2022, max: 2099 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
  })
  .chain(({ form, currency, adjustment, year, month, day }) => {
    const issueDate = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    return fc.record(
      {
        id: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,40}$/),
        form: fc.constant(form),
        symbol: fc
          .stringMatching(/^[CK][TDLMNBGH][A-Z]{2}$/)
          .map((s) => `${s[0]}${String(year).slice(2)}${s.slice(1)}`),
        number: fc.integer({ min: 1, max: 99_999_999 }),
        issueDate: fc.constant(issueDate),
        currency: fc.constant(currency),
        exchangeRate:
          currency === 'VND' ? fc.constant('1') : decimal(99_999, 6).filter((r) => /[1-9]/.test(r)),
        paymentMethod: fc.constantFrom('TM/CK', 'TM', 'CK', 'Chuyển khoản'),
        providerMst: mst,
        seller: fc.record(
          {
            name: userText(400),
            mst,
            address: userText(400),
            phone: userText(32),
            email: fc.constantFrom('a@b.vn', 'ke.toan+1@cong-ty.com.vn'),
            bankAccount: userText(40),
            bankName: userText(400),
          },
          { requiredKeys: ['name', 'mst', 'address'] },
        ),
        buyer: fc.record(
          {
            name: userText(400),
            mst,
            nationalId: fc.stringMatching(/^\d{12}$/),
            address: userText(400),
            buyerName: userText(100),
            email: fc.constant('mua@hang.vn'),
            phone: userText(32),
          },
          { requiredKeys: ['name', 'address'] },
        ),
        lines: fc
          .array(lineArb(form, adjustment), { minLength: 1, maxLength: 8 })
          .filter((ls) => adjustment || ls.some((l) => l.kind !== 4)),
        related: adjustment
          ? fc.constant({
              relation: 'adjustment' as const,
              form,
              symbol: `C${String(year).slice(2)}TAA`,
              number: 1,
              issueDate,
            })
          : fc.constant(undefined),
      },
      {
        requiredKeys: [
          'id',
          'form',
          'symbol',
          'number',
          'issueDate',
          'currency',
          'exchangeRate',
          'providerMst',
          'seller',
          'buyer',
          'lines',
          'related',
        ],
      },
    );
  })
  .map((d) => {
    const { related: rel, ...rest } = d;
    return rel ? { ...rest, related: rel } : rest;
  });

describe('generated documents', () => {
  it('every generated document builds, validates against the XSD and reads back', async () => {
    const docs = fc.sample(documentArb, { numRuns: 150, seed: 20261121 });
    const built = docs.map((d) => ({ input: d, xml: buildInvoiceXml(d) }));
    for (const { input, xml } of built) {
      expect(xml).toBe(xml.normalize('NFC'));
      expect(parseInvoiceXml(xml).document).toEqual(parseInvoiceDocument(input));
    }
    const results = await validateInvoiceXmlBatch(built.map((b) => b.xml));
    const failures = results.flatMap((r, i) => (r.valid ? [] : [{ xml: built[i]?.xml, errors: r.errors }]));
    expect(failures).toEqual([]);
  });
});
