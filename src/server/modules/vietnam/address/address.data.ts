import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Vietnamese administrative units: the 34 provinces and 3,321 commune-level units in force from 1 July 2025
 * (codes of Decision 19/2025/QĐ-TTg), and the legacy three-level units (63 provinces, districts, wards) with
 * the 2025 unit(s) each legacy ward went into. Loaded lazily, once, from `data/address-data.json` (source and
 * licence in `data/LICENSE-address.md`); every lookup after the first is a map read.
 */

export type ProvinceType = 'thanh_pho' | 'tinh';
export type WardType = 'phuong' | 'xa' | 'dac_khu';
export type LegacyWardType = 'phuong' | 'xa' | 'thi_tran';
export type LegacyDistrictType = 'quan' | 'huyen' | 'thi_xa' | 'thanh_pho';

export interface Province {
  readonly code: string;
  /** Bare name: "Hà Nội", "Cao Bằng". */
  readonly name: string;
  /** Official name with its type: "Thành phố Hà Nội", "Tỉnh Cao Bằng". */
  readonly fullName: string;
  readonly type: ProvinceType;
}

export interface Ward {
  readonly code: string;
  readonly name: string;
  /** "Phường Hoàn Kiếm", "Xã Sóc Sơn", "Đặc khu Côn Đảo", "Phường 1" style names keep their number. */
  readonly fullName: string;
  readonly type: WardType;
  readonly provinceCode: string;
}

export interface LegacyProvince {
  readonly code: string;
  readonly name: string;
  readonly fullName: string;
  readonly type: ProvinceType;
  /** The 2025 province it became part of (every legacy province went whole into one). */
  readonly newProvinceCode: string;
}

export interface LegacyDistrict {
  readonly id: number;
  readonly name: string;
  readonly fullName: string;
  readonly type: LegacyDistrictType;
  readonly provinceCode: string;
}

export interface LegacyWard {
  /** GSO code before 1 July 2025; null for the units the source lists by name only. */
  readonly code: string | null;
  readonly name: string;
  readonly fullName: string;
  readonly type: LegacyWardType;
  readonly provinceCode: string;
  readonly district: LegacyDistrict;
  /** 2025 units it went into: one, or several when the source records a split. */
  readonly newWardCodes: readonly string[];
}

export interface AddressDataset {
  readonly version: string;
  readonly effective: string;
  readonly provinces: readonly Province[];
  readonly wards: readonly Ward[];
  readonly legacyProvinces: readonly LegacyProvince[];
  readonly legacyDistricts: readonly LegacyDistrict[];
  readonly legacyWards: readonly LegacyWard[];
}

const code2 = z.string().regex(/^\d{2}$/);
const code5 = z.string().regex(/^\d{5}$/);
const provinceType = z.enum(['thanh_pho', 'tinh']);
const fileSchema = z.object({
  version: z.string().min(1),
  effective: z.iso.date(),
  provinces: z.array(z.tuple([code2, z.string().min(1), provinceType])),
  wards: z.array(z.tuple([code5, code2, z.enum(['phuong', 'xa', 'dac_khu']), z.string().min(1)])),
  legacyProvinces: z.array(z.tuple([code2, z.string().min(1), provinceType, code2])),
  legacyDistricts: z.array(
    z.tuple([code2, z.enum(['quan', 'huyen', 'thi_xa', 'thanh_pho']), z.string().min(1)]),
  ),
  legacyWards: z.array(
    z.tuple([
      code5.nullable(),
      z.number().int().nonnegative(),
      z.enum(['phuong', 'xa', 'thi_tran']),
      z.string().min(1),
      z.array(code5).min(1),
    ]),
  ),
});

const PROVINCE_LABEL: Record<ProvinceType, string> = { thanh_pho: 'Thành phố', tinh: 'Tỉnh' };
const WARD_LABEL: Record<WardType | LegacyWardType, string> = {
  phuong: 'Phường',
  xa: 'Xã',
  dac_khu: 'Đặc khu',
  thi_tran: 'Thị trấn',
};
const DISTRICT_LABEL: Record<LegacyDistrictType, string> = {
  quan: 'Quận',
  huyen: 'Huyện',
  thi_xa: 'Thị xã',
  thanh_pho: 'Thành phố',
};

/**
 * The folding used for every name comparison: NFC, lower case, diacritics removed, đ → d, runs of
 * anything but letters and digits collapsed to one space. "Thành phố Hồ Chí Minh" → "thanh pho ho chi minh".
 */
export function foldVietnamese(text: string): string {
  return text
    .normalize('NFC')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

// Old-style tone placement ("hoà", "thuỷ") → the style the unit list mostly uses ("hòa", "thủy"); only at
// a syllable's end, where the two styles differ ("hoàng" is the same in both).
const TONE_MOVES: ReadonlyArray<readonly [RegExp, string]> = (
  [
    ['oà', 'òa'],
    ['oá', 'óa'],
    ['oả', 'ỏa'],
    ['oã', 'õa'],
    ['oạ', 'ọa'],
    ['oè', 'òe'],
    ['oé', 'óe'],
    ['oẻ', 'ỏe'],
    ['oẽ', 'õe'],
    ['oẹ', 'ọe'],
    ['uỳ', 'ùy'],
    ['uý', 'úy'],
    ['uỷ', 'ủy'],
    ['uỹ', 'ũy'],
    ['uỵ', 'ụy'],
  ] as const
).map(([from, to]) => [new RegExp(`${from}(?!\\p{L})`, 'gu'), to] as const);

/** NFC text with old-style tone marks moved ("Tuy Hoà" → "Tuy Hòa"), so both spellings compare equal. */
export function canonicalTones(text: string): string {
  let s = text.normalize('NFC');
  for (const [re, to] of TONE_MOVES) s = s.replace(re, to);
  return s;
}

interface Loaded extends AddressDataset {
  readonly provinceByCode: ReadonlyMap<string, Province>;
  readonly wardByCode: ReadonlyMap<string, Ward>;
  readonly wardsByProvince: ReadonlyMap<string, readonly Ward[]>;
  readonly legacyProvinceByCode: ReadonlyMap<string, LegacyProvince>;
  readonly legacyWardByCode: ReadonlyMap<string, LegacyWard>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  return indexed(JSON.parse(readFileSync(new URL('./data/address-data.json', import.meta.url), 'utf8')));
}

/**
 * A dataset from the shipped file's JSON (validated: throws a ZodError on a malformed file, an Error on a
 * dangling district reference). `addressDataset()` is this over `data/address-data.json`, loaded once.
 */
export function datasetFromJson(raw: unknown): AddressDataset {
  return indexed(raw);
}

function indexed(raw: unknown): Loaded {
  const file = fileSchema.parse(raw);
  const provinces: Province[] = file.provinces.map(([code, name, type]) => ({
    code,
    name,
    fullName: `${PROVINCE_LABEL[type]} ${name}`,
    type,
  }));
  const wards: Ward[] = file.wards.map(([code, provinceCode, type, name]) => ({
    code,
    name,
    fullName: `${WARD_LABEL[type]} ${name}`,
    type,
    provinceCode,
  }));
  const legacyProvinces: LegacyProvince[] = file.legacyProvinces.map(
    ([code, name, type, newProvinceCode]) => ({
      code,
      name,
      fullName: `${PROVINCE_LABEL[type]} ${name}`,
      type,
      newProvinceCode,
    }),
  );
  const legacyDistricts: LegacyDistrict[] = file.legacyDistricts.map(([provinceCode, type, name], id) => ({
    id,
    name,
    fullName: `${DISTRICT_LABEL[type]} ${name}`,
    type,
    provinceCode,
  }));
  const legacyWards: LegacyWard[] = file.legacyWards.map(([code, districtId, type, name, newWardCodes]) => {
    const district = legacyDistricts[districtId];
    if (!district) throw new Error(`address data: legacy ward ${name} names district ${districtId}`);
    return {
      code,
      name,
      fullName: `${WARD_LABEL[type]} ${name}`,
      type,
      provinceCode: district.provinceCode,
      district,
      newWardCodes,
    };
  });
  const wardsByProvince = new Map<string, Ward[]>();
  for (const w of wards) {
    const list = wardsByProvince.get(w.provinceCode) ?? [];
    list.push(w);
    wardsByProvince.set(w.provinceCode, list);
  }
  const legacyWardByCode = new Map<string, LegacyWard>();
  for (const w of legacyWards) if (w.code) legacyWardByCode.set(w.code, w);
  return {
    version: file.version,
    effective: file.effective,
    provinces,
    wards,
    legacyProvinces,
    legacyDistricts,
    legacyWards,
    provinceByCode: new Map(provinces.map((p) => [p.code, p])),
    wardByCode: new Map(wards.map((w) => [w.code, w])),
    wardsByProvince,
    legacyProvinceByCode: new Map(legacyProvinces.map((p) => [p.code, p])),
    legacyWardByCode,
  };
}

function data(): Loaded {
  loaded ??= load();
  return loaded;
}

/** The whole dataset (loaded on first use). */
export function addressDataset(): AddressDataset {
  return data();
}

/** Version string of the shipped unit list; store it beside any code taken from it. */
export function addressDatasetVersion(): string {
  return data().version;
}

const PROVINCE_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['hcm', '79'],
  ['tphcm', '79'],
  ['tp hcm', '79'],
  ['hcmc', '79'],
  ['sai gon', '79'],
  ['saigon', '79'],
  ['hn', '01'],
  ['hanoi', '01'],
  ['danang', '48'],
  ['thua thien hue', '46'],
];

let provinceNameIndex: ReadonlyMap<string, Province> | undefined;

function provinceIndex(): ReadonlyMap<string, Province> {
  if (provinceNameIndex) return provinceNameIndex;
  const d = data();
  const index = new Map<string, Province>();
  for (const p of d.provinces) {
    index.set(p.code, p);
    index.set(foldVietnamese(p.name), p);
    index.set(foldVietnamese(p.fullName), p);
    if (p.type === 'thanh_pho') index.set(`tp ${foldVietnamese(p.name)}`, p);
  }
  for (const [alias, code] of PROVINCE_ALIASES) {
    const p = d.provinceByCode.get(code);
    if (p) index.set(alias, p);
  }
  provinceNameIndex = index;
  return index;
}

/**
 * A 2025 province by code ("79") or by name in any usual spelling ("Thành phố Hồ Chí Minh", "Hồ Chí Minh",
 * "ho chi minh", "TP.HCM", "HCM"). A legacy province's name ("Bình Dương") finds the 2025 province it went
 * into. Null when nothing matches.
 */
export function findProvince(query: string): Province | null {
  const folded = foldVietnamese(query);
  const direct = provinceIndex().get(folded);
  if (direct) return direct;
  const legacy = findLegacyProvince(query);
  return legacy ? (data().provinceByCode.get(legacy.newProvinceCode) ?? null) : null;
}

/** A legacy (pre-1 July 2025) province by GSO code or name ("Bà Rịa - Vũng Tàu", "Tỉnh Bình Dương"). */
export function findLegacyProvince(query: string): LegacyProvince | null {
  const d = data();
  const folded = foldVietnamese(query);
  const byCode = d.legacyProvinceByCode.get(folded);
  if (byCode) return byCode;
  for (const p of d.legacyProvinces) {
    if (folded === foldVietnamese(p.name) || folded === foldVietnamese(p.fullName)) return p;
  }
  return null;
}

/** A 2025 commune-level unit by its five-digit code; null when the code is not in the dataset. */
export function findWard(code: string): Ward | null {
  return data().wardByCode.get(code.trim()) ?? null;
}

/** A legacy ward by its pre-2025 five-digit code. */
export function findLegacyWard(code: string): LegacyWard | null {
  return data().legacyWardByCode.get(code.trim()) ?? null;
}

/**
 * The 2025 units of a province (a Province, its code, or any name findProvince accepts), in code order;
 * empty when the province is unknown.
 */
export function wardsOf(province: Province | string): readonly Ward[] {
  const p = typeof province === 'string' ? findProvince(province) : province;
  return p ? (data().wardsByProvince.get(p.code) ?? []) : [];
}

/** The 2025 units a legacy ward (by code) went into; empty when the legacy code is unknown. */
export function mapLegacyWard(code: string): readonly Ward[] {
  const legacy = findLegacyWard(code);
  if (!legacy) return [];
  return legacy.newWardCodes.map((c) => findWard(c)).filter((w): w is Ward => w !== null);
}

/** The 2025 province for a province code (internal lookups by the parser). */
export function provinceByCode(code: string): Province | null {
  return data().provinceByCode.get(code) ?? null;
}

/** A legacy province by code (internal lookups by the parser). */
export function legacyProvinceByCode(code: string): LegacyProvince | null {
  return data().legacyProvinceByCode.get(code) ?? null;
}
