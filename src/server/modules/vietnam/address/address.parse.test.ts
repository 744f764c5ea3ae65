import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressDataset,
  addressDatasetVersion,
  findLegacyProvince,
  findProvince,
  findWard,
} from './address.data.js';
import { formatAddress, type ParsedAddress, parseAddress } from './address.parse.js';
import { parsedAddressSchema } from './address.schema.js';

/** The fields a test pins; the rest is checked where it matters. */
interface Expect {
  street?: string;
  ward?: string | null; // code, or null
  wardName?: string;
  province?: string | null; // code
  legacyDistrict?: string | null;
  form: ParsedAddress['form'];
  mapped?: string | null; // mapped ward code
  mappedProvince?: string;
  candidates?: string[];
  warnings?: string[];
}

function check(text: string, e: Expect): ParsedAddress {
  const r = parseAddress(text);
  // The presenter schema describes every answer exactly.
  expect(parsedAddressSchema.strict().parse(r)).toEqual(r);
  expect(r.form, `${text}: form`).toBe(e.form);
  if (e.street !== undefined) expect(r.street, `${text}: street`).toBe(e.street);
  if (e.ward !== undefined) expect(r.ward?.code ?? null, `${text}: ward`).toBe(e.ward);
  if (e.wardName !== undefined) expect(r.ward?.name, `${text}: ward name`).toBe(e.wardName);
  if (e.province !== undefined) expect(r.province?.code ?? null, `${text}: province`).toBe(e.province);
  if (e.legacyDistrict !== undefined) expect(r.legacyDistrict, `${text}: district`).toBe(e.legacyDistrict);
  if (e.mapped !== undefined) expect(r.mapped?.ward?.code ?? null, `${text}: mapped`).toBe(e.mapped);
  if (e.mappedProvince !== undefined)
    expect(r.mapped?.province?.code, `${text}: mapped province`).toBe(e.mappedProvince);
  expect(r.ambiguous, `${text}: ambiguous`).toBe((e.candidates?.length ?? 0) > 1);
  expect(r.candidates.map((c) => c.code).sort(), `${text}: candidates`).toEqual(
    [...(e.candidates ?? [])].sort(),
  );
  if (e.warnings !== undefined)
    expect([...r.warnings].sort(), `${text}: warnings`).toEqual([...e.warnings].sort());
  expect(r.datasetVersion).toBe(addressDatasetVersion());
  expect(r.confidence).toBeGreaterThanOrEqual(0);
  expect(r.confidence).toBeLessThanOrEqual(1);
  return r;
}

describe('parseAddress: 2025 addresses', () => {
  const hoanKiem = { ward: '00070', wardName: 'Phường Hoàn Kiếm', province: '01', form: 'new' as const };

  it.each([
    'Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Hà Nội',
    'So 1 Dinh Tien Hoang, Phuong Hoan Kiem, Ha Noi',
    'số 1 đinh tiên hoàng p.hoàn kiếm hn',
    'SỐ 1 ĐINH TIÊN HOÀNG, P. HOÀN KIẾM, TP. HÀ NỘI',
    'Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Thành phố Hà Nội, Việt Nam',
    'Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Hà Nội 100000',
  ])('%s', (text) => {
    const r = check(text, { ...hoanKiem, legacyDistrict: null, mapped: null, warnings: [] });
    expect(r.street.toLowerCase()).toMatch(/^s[oố] 1 [dđ]inh ti[eê]n ho[aà]ng$/);
    expect(r.province?.name).toBe('Thành phố Hà Nội');
    expect(r.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('reads NFD (decomposed) input as NFC', () => {
    check('Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Hà Nội'.normalize('NFD'), {
      ...hoanKiem,
      street: 'Số 1 Đinh Tiên Hoàng',
    });
  });

  it.each<[string, Expect]>([
    [
      '25 Lê Duẩn, Phường Sài Gòn, Thành phố Hồ Chí Minh',
      { street: '25 Lê Duẩn', ward: '26740', province: '79', form: 'new' },
    ],
    ['25 Le Duan, P. Sai Gon, TPHCM', { street: '25 Le Duan', ward: '26740', province: '79', form: 'new' }],
    [
      '72 Lê Thánh Tôn, Phường Bến Thành, TP. Hồ Chí Minh, Việt Nam',
      { street: '72 Lê Thánh Tôn', ward: '26743', province: '79', form: 'new' },
    ],
    ['Tp Hồ Chí Minh', { ward: null, province: '79', form: 'unknown', warnings: ['ward_not_found'] }],
    [
      '10 Trần Phú, Phường Hải Châu, Đà Nẵng',
      { street: '10 Trần Phú', ward: '20242', province: '48', form: 'new' },
    ],
    [
      'Đặc khu Phú Quốc, An Giang',
      { street: '', ward: '31078', wardName: 'Đặc khu Phú Quốc', province: '91', form: 'new' },
    ],
    ['Phường Ninh Kiều, Cần Thơ', { ward: '31135', province: '92', form: 'new' }],
    [
      'KCN Quang Minh, Xã Quang Minh, Hà Nội',
      { street: 'KCN Quang Minh', ward: '08974', province: '01', form: 'new' },
    ],
    ['Ấp 3, Phường Thanh Xuân, Hà Nội', { street: 'Ấp 3', ward: '00367', province: '01', form: 'new' }],
  ])('%s', (text, e) => {
    check(text, e);
  });

  it('ignores but reports a district written in a post-2025 address', () => {
    check('Phường Hoàn Kiếm, Quận Hoàn Kiếm, Hà Nội', {
      ...hoanKiem,
      legacyDistrict: 'Quận Hoàn Kiếm',
      warnings: ['legacy_district_ignored'],
    });
  });

  it('reads a 2025 ward given under its legacy province name, and says so', () => {
    // Phường Thủ Dầu Một is a 2025 ward of Hồ Chí Minh; Bình Dương stopped being a province.
    const r = check('Phường Thủ Dầu Một, Bình Dương', {
      province: '79',
      form: 'new',
      warnings: ['legacy_province_name'],
    });
    expect(r.ward?.name).toBe('Phường Thủ Dầu Một');
  });

  it('asks a person when a 2025 ward shares its name with a legacy ward that went elsewhere', () => {
    // Legacy Phường Đại Mỗ (Nam Từ Liêm) went into Phường Tây Mỗ; a 2025 Phường Đại Mỗ exists too.
    const r = check('Phường Đại Mỗ, Hà Nội', {
      ward: '00637',
      province: '01',
      form: 'new',
      candidates: ['00637', '00634'],
      warnings: ['legacy_name_conflict', 'ward_ambiguous'],
    });
    expect(r.confidence).toBeLessThanOrEqual(0.6);
    // The district settles it.
    check('Phường Đại Mỗ, Quận Nam Từ Liêm, Hà Nội', { ward: '00634', form: 'legacy', mapped: '00634' });
    // So does the type word: the legacy Xã Thanh Xuân (Sóc Sơn) is not a phường.
    check('12 Nguyễn Trãi, Thanh Xuân, Hà Nội', {
      street: '12 Nguyễn Trãi',
      ward: '00367',
      form: 'new',
      candidates: ['00367', '00433'],
    });
    check('12 Nguyễn Trãi, Phường Thanh Xuân, Hà Nội', { ward: '00367', form: 'new', warnings: [] });
    check('Ấp 3, Xã Tân Thành, Lâm Đồng', {
      street: 'Ấp 3',
      ward: '23143',
      form: 'new',
      candidates: ['23143', '24976'],
    });
  });

  it('infers the province from a ward name found in one province only', () => {
    const r = check('Phường Sài Gòn', {
      ward: '26740',
      province: '79',
      form: 'new',
      warnings: ['province_inferred'],
    });
    expect(r.confidence).toBeLessThan(1);
  });

  it('prefers the spelling written with diacritics among look-alike names, and lists what still fits', () => {
    const r = parseAddress('Xã Tân Thành');
    expect(r.ambiguous).toBe(true);
    expect(r.ward).toBeNull();
    expect(r.province).toBeNull();
    expect(r.candidates.length).toBeGreaterThan(1);
    expect(r.candidates.every((c) => c.name === 'Xã Tân Thành')).toBe(true);
    expect(r.candidates.map((c) => c.province.code)).toContain('68');
    expect(r.warnings).toContain('ward_ambiguous');
    expect(r.confidence).toBeLessThanOrEqual(0.6);
    // Without diacritics all the folded look-alikes stay candidates.
    const folded = parseAddress('Xa Tan Thanh');
    expect(folded.candidates.length).toBeGreaterThan(r.candidates.length);
    expect(new Set(folded.candidates.map((c) => c.name))).toEqual(
      new Set(['Xã Tân Thành', 'Xã Tân Thanh', 'Xã Tân Thạnh']),
    );
  });
});

describe('parseAddress: legacy addresses', () => {
  it.each<[string, Expect]>([
    [
      '12 Lý Tự Trọng, P. Bến Nghé, Q.1, TP.HCM',
      {
        street: '12 Lý Tự Trọng',
        ward: '26740',
        wardName: 'Phường Bến Nghé',
        province: '79',
        legacyDistrict: 'Quận 1',
        form: 'legacy',
        mapped: '26740',
        mappedProvince: '79',
      },
    ],
    [
      '12 Ly Tu Trong, P.Ben Nghe, Q1, HCM',
      { street: '12 Ly Tu Trong', ward: '26740', legacyDistrict: 'Quận 1', form: 'legacy', mapped: '26740' },
    ],
    [
      '12 Ly Tu Trong Ben Nghe Quan 1 TPHCM',
      { street: '12 Ly Tu Trong', ward: '26740', form: 'legacy', mapped: '26740' },
    ],
    [
      'Tầng 5, 123 Nguyễn Văn Cừ, P.4, Q.5, TP. Hồ Chí Minh 700000',
      {
        street: 'Tầng 5, 123 Nguyễn Văn Cừ',
        ward: '27301',
        wardName: 'Phường 4',
        legacyDistrict: 'Quận 5',
        form: 'legacy',
        mapped: '27301',
      },
    ],
    [
      'Phường 1, Quận 3',
      {
        ward: '27160',
        province: '79',
        legacyDistrict: 'Quận 3',
        form: 'legacy',
        mapped: '27154',
        warnings: ['legacy_address', 'province_inferred'],
      },
    ],
    ['P1 Q3', { ward: '27160', legacyDistrict: 'Quận 3', form: 'legacy', mapped: '27154' }],
    [
      '88 Láng Hạ, P. Láng Hạ, Q. Đống Đa, Hà Nội',
      {
        street: '88 Láng Hạ',
        ward: '00199',
        wardName: 'Phường Láng Hạ',
        province: '01',
        legacyDistrict: 'Quận Đống Đa',
        form: 'legacy',
        mapped: '00199',
      },
    ],
    [
      'Lô A2, KCN Sóng Thần, P. Dĩ An, TP. Dĩ An, Bình Dương',
      {
        street: 'Lô A2, KCN Sóng Thần',
        ward: '25942',
        province: '74',
        legacyDistrict: 'Thành phố Dĩ An',
        form: 'legacy',
        mapped: '25942',
        mappedProvince: '79',
      },
    ],
    [
      'Thôn 3, X. Ea Kao, TP. Buôn Ma Thuột, T. Đắk Lắk',
      {
        street: 'Thôn 3',
        ward: '24169',
        wardName: 'Xã Ea Kao',
        province: '66',
        legacyDistrict: 'Thành phố Buôn Ma Thuột',
        form: 'legacy',
        mapped: '24169',
      },
    ],
    [
      'Thị trấn Đông Anh, H. Đông Anh, HN',
      {
        ward: '00454',
        wardName: 'Thị trấn Đông Anh',
        province: '01',
        legacyDistrict: 'Huyện Đông Anh',
        form: 'legacy',
        mapped: '00454',
      },
    ],
    [
      'Đường số 7, KDC Trung Sơn, Xã Bình Hưng, Huyện Bình Chánh, TP.HCM',
      {
        street: 'Đường số 7, KDC Trung Sơn',
        ward: '27619',
        legacyDistrict: 'Huyện Bình Chánh',
        form: 'legacy',
        mapped: '27619',
      },
    ],
    [
      '10 Tran Phu, P. Hai Chau 1, Q. Hai Chau, TP Da Nang',
      {
        street: '10 Tran Phu',
        ward: '20236',
        province: '48',
        legacyDistrict: 'Quận Hải Châu',
        form: 'legacy',
        mapped: '20242',
      },
    ],
    [
      'Phuong Thao Dien, TP Thu Duc, TPHCM',
      { ward: '27088', legacyDistrict: 'Thành phố Thủ Đức', form: 'legacy', mapped: '27094' },
    ],
    [
      'P. Tân Định, Q.1, TP.HCM',
      { ward: '26734', legacyDistrict: 'Quận 1', form: 'legacy', mapped: '26737' },
    ],
    // A legacy ward and a 2025 ward can share a name; the district says which one was meant.
    [
      'Phường Bến Thành, Quận 1, TP.HCM',
      { ward: '26743', legacyDistrict: 'Quận 1', form: 'legacy', mapped: '26743' },
    ],
    // "Hoàn Kiếm" is a 2025 ward and a legacy district: with a ward of that district before it, a district.
    [
      'Phường Tràng Tiền, Hoàn Kiếm, Hà Nội',
      {
        ward: '00079',
        wardName: 'Phường Tràng Tiền',
        legacyDistrict: 'Quận Hoàn Kiếm',
        form: 'legacy',
        mapped: '00082',
      },
    ],
  ])('%s', (text, e) => {
    const r = check(text, e);
    expect(r.warnings).toContain('legacy_address');
    if (e.mapped) expect(r.mapped?.ward?.name).toBe(findWard(e.mapped)?.fullName);
  });

  it('flags a town (thị trấn) written as a phường, and still maps it', () => {
    check('Khu 2, TT Phú Mỹ, TX. Phú Mỹ, Bà Rịa - Vũng Tàu', {
      street: 'Khu 2',
      ward: '26704',
      province: '77',
      form: 'legacy',
      mapped: '26704',
      mappedProvince: '79',
      warnings: ['legacy_address', 'ward_type_mismatch'],
    });
  });

  it('returns the 2025 units of a split ward as candidates for a person to pick', () => {
    const r = check('45 Phan Văn Trị, Phường 13, Quận Gò Vấp, TP HCM', {
      street: '45 Phan Văn Trị',
      ward: null,
      wardName: 'Phường 13',
      province: '79',
      legacyDistrict: 'Quận Gò Vấp',
      form: 'legacy',
      mapped: null,
      mappedProvince: '79',
      candidates: ['26878', '26882'],
      warnings: ['legacy_address', 'ward_split'],
    });
    expect(r.candidates.map((c) => c.name).sort()).toEqual(['Phường An Hội Tây', 'Phường An Hội Đông']);
    expect(r.candidates.every((c) => c.province.code === '79')).toBe(true);
    expect(r.confidence).toBeLessThanOrEqual(0.6);
    check('Xã Hợp Thành, Huyện Yên Thành, Tỉnh Nghệ An', {
      province: '40',
      form: 'legacy',
      mapped: null,
      candidates: ['17506', '17521'],
      warnings: ['legacy_address', 'ward_split'],
    });
  });

  it('lists the candidates when a legacy ward name fits several districts and none is written', () => {
    const r = parseAddress('Phường 1, TP.HCM');
    expect(r.form).toBe('legacy');
    expect(r.ward).toMatchObject({ code: null, name: 'Phường 1' });
    expect(r.ambiguous).toBe(true);
    expect(r.candidates.length).toBeGreaterThan(3);
    expect(r.candidates.every((c) => c.province.code === '79')).toBe(true);
    expect(r.warnings).toContain('ward_ambiguous');
  });

  it('maps a legacy province alone to the 2025 province', () => {
    check('Bình Dương', {
      ward: null,
      province: '74',
      form: 'legacy',
      mapped: null,
      mappedProvince: '79',
      warnings: ['legacy_address', 'ward_not_found'],
    });
    check('Tỉnh Hà Giang', { province: '02', form: 'legacy', mappedProvince: '08' });
    check('Quận 1, TP.HCM', {
      ward: null,
      legacyDistrict: 'Quận 1',
      form: 'legacy',
      mappedProvince: '79',
      warnings: ['legacy_address', 'ward_not_found'],
    });
  });
});

describe('parseAddress: English type words', () => {
  it.each<[string, Expect]>([
    [
      '25 Le Duan, Sai Gon Ward, Ho Chi Minh City, Vietnam',
      { street: '25 Le Duan', ward: '26740', province: '79', form: 'new', warnings: [] },
    ],
    [
      '1 Dinh Tien Hoang, Hoan Kiem Ward, Hanoi',
      { street: '1 Dinh Tien Hoang', ward: '00070', province: '01', form: 'new', warnings: [] },
    ],
    [
      '12 Ly Tu Trong, Ben Nghe Ward, District 1, Ho Chi Minh City',
      { street: '12 Ly Tu Trong', ward: '26740', legacyDistrict: 'Quận 1', form: 'legacy', mapped: '26740' },
    ],
    [
      '12 Ly Tu Trong Street, Ward Ben Nghe, District 1, HCMC, Vietnam',
      { street: '12 Ly Tu Trong Street', ward: '26740', form: 'legacy', mapped: '26740' },
    ],
    [
      'Ward 1, District 3, HCMC',
      { ward: '27160', legacyDistrict: 'Quận 3', form: 'legacy', mapped: '27154' },
    ],
    [
      'Lot A2, Song Than IZ, Di An Ward, Di An City, Binh Duong Province',
      { street: 'Lot A2, Song Than IZ', ward: '25942', province: '74', form: 'legacy', mappedProvince: '79' },
    ],
    ['Dong Nai Province', { ward: null, province: '75', form: 'unknown', warnings: ['ward_not_found'] }],
  ])('%s', (text, e) => {
    check(text, e);
  });
});

describe('parseAddress: what it cannot read', () => {
  it.each(['xyz abc', 'Lorem ipsum dolor sit amet', '42', 'Paris, France'])(
    '%s → nulls with warnings',
    (text) => {
      const r = check(text, {
        ward: null,
        province: null,
        legacyDistrict: null,
        form: 'unknown',
        mapped: null,
        warnings: ['province_not_found', 'ward_not_found'],
      });
      expect(r.confidence).toBe(0);
      expect(r.street).toBe(text);
    },
  );

  it.each(['', '   ', ', ; -'])('%j is empty', (text) => {
    check(text, { street: '', ward: null, province: null, form: 'unknown', warnings: ['empty_input'] });
  });

  it('keeps street names that borrow unit names as the street', () => {
    // Trần Hưng Đạo is also a legacy ward name; after a house number it is a street.
    check('123 Trần Hưng Đạo, Hà Nội', {
      street: '123 Trần Hưng Đạo',
      ward: null,
      province: '01',
      form: 'unknown',
      warnings: ['ward_not_found'],
    });
    check('Số 5 Phố Hàng Bài, Hà Nội', {
      street: 'Số 5 Phố Hàng Bài',
      ward: null,
      province: '01',
      form: 'unknown',
    });
    // "Xa lộ Hà Nội" is a road in Hồ Chí Minh: the province is read at the end only.
    check('12 Xa lộ Hà Nội, Phường Thảo Điền, TP Thủ Đức, TP.HCM', {
      street: '12 Xa lộ Hà Nội',
      province: '79',
      form: 'legacy',
      mapped: '27094',
    });
    // Without a province, an unmarked name is not trusted.
    check('123 Trần Hưng Đạo', { ward: null, province: null, form: 'unknown' });
  });

  it('parses many addresses with one index, the same answer each time', () => {
    const texts = [
      '12 Lý Tự Trọng, P. Bến Nghé, Q.1, TP.HCM',
      'Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Hà Nội',
    ];
    const first = texts.map(parseAddress);
    for (let i = 0; i < 500; i++)
      for (const [k, t] of texts.entries()) expect(parseAddress(t)).toEqual(first[k]);
  });
});

describe('parseAddress: every unit of the dataset', () => {
  const d = addressDataset();
  const stripDiacritics = (s: string): string =>
    s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

  it('reads each of the 3,321 units back from a 2025 address, with and without diacritics', () => {
    const wrong: string[] = [];
    for (const w of d.wards) {
      const p = findProvince(w.provinceCode);
      const text = `Số 12 Đường Lê Lợi, ${w.fullName}, ${p?.fullName}`;
      const r = parseAddress(text);
      if (r.form !== 'new' || r.ward?.code !== w.code || r.street !== 'Số 12 Đường Lê Lợi') wrong.push(text);
      // Folded text cannot tell "Tân Thành" from "Tân Thạnh": the unit is the answer or a candidate.
      const folded = parseAddress(stripDiacritics(text));
      const found = folded.ward?.code === w.code || folded.candidates.some((c) => c.code === w.code);
      if (folded.form !== 'new' || !found) wrong.push(stripDiacritics(text));
    }
    expect(wrong).toEqual([]);
  });

  it('maps each legacy ward, written with its district and province, to its recorded 2025 unit(s)', () => {
    const wrong: string[] = [];
    for (const w of d.legacyWards) {
      const lp = findLegacyProvince(w.provinceCode);
      const written = `12 Lê Lợi, ${w.fullName}, ${w.district.fullName}, ${lp?.fullName}`;
      // Folded, two legacy wards of one district can collide ("Hoằng Phú", "Hoàng Phú"): then candidates.
      for (const [text, exact] of [
        [written, true],
        [stripDiacritics(written), false],
      ] as const) {
        const r = parseAddress(text);
        const reached = w.newWardCodes.every(
          (c) => r.mapped?.ward?.code === c || r.candidates.some((k) => k.code === c),
        );
        const single = w.newWardCodes.length > 1 || !exact || r.mapped?.ward?.code === w.newWardCodes[0];
        if (r.form !== 'legacy' || !reached || !single) wrong.push(text);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('parseAddress: any text', () => {
  // Words that drive the parser's branches, mixed with arbitrary text.
  const vocabulary = fc.constantFrom(
    'Phường',
    'P.',
    'Xã',
    'X.',
    'Quận',
    'Q.',
    'Huyện',
    'TP.',
    'Tỉnh',
    'Thị trấn',
    'Đặc khu',
    'Ward',
    'District',
    'City',
    '1',
    '13',
    '007',
    'Bến Nghé',
    'Hoàn Kiếm',
    'Tân Thành',
    'Gò Vấp',
    'Hà Nội',
    'HCM',
    'TP.HCM',
    'Bình Dương',
    'Việt Nam',
    ',',
    ' - ',
    '\u0301',
  );
  const messy = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc
      .array(fc.oneof(vocabulary, fc.string({ maxLength: 6 })), { maxLength: 12 })
      .map((parts) => parts.join(' ')),
  );

  it('never throws, always answers in the published shape, and keeps the street from the text', () => {
    fc.assert(
      fc.property(messy, (text) => {
        const r = parseAddress(text);
        parsedAddressSchema.strict().parse(r);
        expect(text.normalize('NFC')).toContain(r.street);
        expect(r.ambiguous).toBe(r.candidates.length > 1);
        if (r.form === 'legacy') expect(r.mapped).not.toBeNull();
        if (r.form !== 'legacy') expect(r.mapped).toBeNull();
        if (r.ward?.code && r.form === 'new') expect(findWard(r.ward.code)?.fullName).toBe(r.ward.name);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatAddress', () => {
  it('writes a street and a 2025 unit the way the reform names them', () => {
    expect(formatAddress('12 Lý Tự Trọng', '26740')).toBe(
      '12 Lý Tự Trọng, Phường Sài Gòn, Thành phố Hồ Chí Minh',
    );
    expect(formatAddress('  Thôn 3, ', '24169')).toBe('Thôn 3, Phường Ea Kao, Tỉnh Đắk Lắk');
    expect(formatAddress('', '31078')).toBe('Đặc khu Phú Quốc, Tỉnh An Giang');
    expect(formatAddress('12 Lý Tự Trọng', '99999')).toBeNull();
  });

  it('turns a legacy address into its 2025 form through the parser', () => {
    const r = parseAddress('12 Lý Tự Trọng, P. Bến Nghé, Q.1, TP.HCM');
    const code = r.mapped?.ward?.code;
    expect(code && formatAddress(r.street, code)).toBe(
      '12 Lý Tự Trọng, Phường Sài Gòn, Thành phố Hồ Chí Minh',
    );
    // And the 2025 form reads back as itself.
    const again = parseAddress('12 Lý Tự Trọng, Phường Sài Gòn, Thành phố Hồ Chí Minh');
    expect([again.form, again.ward?.code, again.street]).toEqual(['new', '26740', '12 Lý Tự Trọng']);
  });
});
