import {
  addressDataset,
  canonicalTones,
  findWard,
  type LegacyDistrict,
  type LegacyWard,
  type LegacyWardType,
  legacyProvinceByCode,
  provinceByCode,
  type Ward,
  type WardType,
} from './address.data.js';
import type { AddressWarning } from './address.schema.js';

/**
 * Free-text Vietnamese address → street + 2025 ward + province, in either form CRM data arrives in:
 * post-1 July 2025 ("Số 1 Đinh Tiên Hoàng, Phường Hoàn Kiếm, Hà Nội") or legacy three-level ("12 Lý Tự
 * Trọng, P. Bến Nghé, Q.1, TP.HCM"), with or without diacritics, commas or the usual abbreviations.
 * Legacy input is mapped to the 2025 unit; splits and names that fit several units come back as candidates
 * for a person to pick. Pure and synchronous: the unit index is built once, on first use.
 */

export type AddressForm = 'new' | 'legacy' | 'unknown';

export type { AddressWarning };

export interface ParsedUnit {
  /** Five-digit code; null only for a legacy ward known by name alone (or named in several districts). */
  readonly code: string | null;
  /** Official name with its type: "Phường Bến Nghé". */
  readonly name: string;
  readonly type: WardType | LegacyWardType;
}

export interface ParsedProvince {
  readonly code: string;
  readonly name: string;
}

export interface AddressCandidate {
  readonly code: string;
  readonly name: string;
  readonly province: ParsedProvince;
}

export interface ParsedAddress {
  /** What precedes the administrative units (house number, street, hamlet…), as written. */
  readonly street: string;
  /**
   * The ward as written: a 2025 unit for form 'new', a legacy unit for form 'legacy'. Form 'new': null when
   * the name fits several 2025 units; kept when it names one whose name a legacy ward elsewhere also bore
   * (then `ambiguous` is set and `candidates` holds both readings). Form 'legacy': code null when the name
   * fits several legacy wards (no district written) or the source has no legacy code for it.
   */
  readonly ward: ParsedUnit | null;
  /** The province as written (legacy province for form 'legacy'), or inferred from the ward. */
  readonly province: ParsedProvince | null;
  /**
   * The legacy district: as written (ignored for a 2025 address, but reported), or for a legacy ward the
   * district it belonged to.
   */
  readonly legacyDistrict: string | null;
  readonly form: AddressForm;
  /** For legacy input: the 2025 unit it is now (ward null when split or unknown). Null otherwise. */
  readonly mapped: { readonly ward: ParsedUnit | null; readonly province: ParsedProvince | null } | null;
  /** True when a person has to choose among `candidates`. */
  readonly ambiguous: boolean;
  /** 2025 units the address may be in, when more than one fits. */
  readonly candidates: readonly AddressCandidate[];
  /** 0..1: how much of the address was recognised, and how unambiguously. */
  readonly confidence: number;
  readonly datasetVersion: string;
  readonly warnings: readonly AddressWarning[];
}

// ---------------------------------------------------------------------------------------------------------
// Tokens: folded words with their span in the (NFC) input, so the street keeps its original spelling.

interface Token {
  readonly w: string;
  readonly start: number;
  readonly end: number;
  /** Starts the text or follows a separator (",", ";", " - ", a new line…). */
  readonly sep: boolean;
}

const foldCache = new Map<string, string>();
function foldChar(ch: string): string {
  let f = foldCache.get(ch);
  if (f === undefined) {
    f = ch.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
    foldCache.set(ch, f);
  }
  return f;
}

const ALPHANUMERIC = /^[a-z0-9]+$/;
const SEPARATORS = /[,;|/()\n\r\t\-–]/;

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let word = '';
  let offsets: number[] = [];
  let end = 0;
  let sep = true;
  const flush = (): void => {
    if (word) {
      out.push(...splitToken(word, offsets, end, sep));
      sep = false;
    }
    word = '';
    offsets = [];
  };
  for (const ch of s) {
    const index = end;
    end += ch.length;
    const f = foldChar(ch);
    if (f === '') continue; // a stray combining mark: part of the word it sits in
    if (ALPHANUMERIC.test(f)) {
      for (let k = 0; k < f.length; k++) offsets.push(index);
      word += f;
    } else {
      end = index;
      flush();
      end = index + ch.length;
      if (SEPARATORS.test(ch)) sep = true;
    }
  }
  flush();
  return out;
}

/** Multi-word spellings of single tokens, expanded so they match the unit names. */
const EXPANSIONS: Record<string, readonly string[]> = {
  tphcm: ['tp', 'ho', 'chi', 'minh'],
  hcm: ['ho', 'chi', 'minh'],
  hcmc: ['ho', 'chi', 'minh'],
  hn: ['ha', 'noi'],
  hanoi: ['ha', 'noi'],
  saigon: ['sai', 'gon'],
  danang: ['da', 'nang'],
  brvt: ['ba', 'ria', 'vung', 'tau'],
};

/** "P1", "Q10", "F7", "Phuong12": a type abbreviation glued to a number. */
const GLUED_NUMBER = /^(p|f|q|x|h|phuong|quan)(\d{1,2})$/;

function splitToken(word: string, offsets: readonly number[], end: number, sep: boolean): Token[] {
  const first = offsets[0] ?? end;
  const expansion = EXPANSIONS[word];
  if (expansion) return expansion.map((w, k) => ({ w, start: first, end, sep: sep && k === 0 }));
  const glued = GLUED_NUMBER.exec(word);
  if (glued?.[1] && glued[2]) {
    const cut = offsets[glued[1].length] ?? end;
    return [
      { w: glued[1], start: first, end: cut, sep },
      { w: String(Number(glued[2])), start: cut, end, sep: false },
    ];
  }
  // "Phường 01" is "Phường 1"; longer numbers (house numbers, postcodes) stay as written.
  const w = /^0\d$/.test(word) ? word.slice(1) : word;
  return [{ w, start: first, end, sep }];
}

// ---------------------------------------------------------------------------------------------------------
// Unit-type markers written before a name.

type MarkerType = WardType | 'thi_tran' | 'quan' | 'huyen' | 'thi_xa' | 'thanh_pho' | 'tinh';

const MARKERS: ReadonlyArray<readonly [readonly string[], MarkerType]> = [
  [['thi', 'tran'], 'thi_tran'],
  [['thi', 'xa'], 'thi_xa'],
  [['thanh', 'pho'], 'thanh_pho'],
  [['dac', 'khu'], 'dac_khu'],
  [['phuong'], 'phuong'],
  [['p'], 'phuong'],
  [['f'], 'phuong'],
  [['xa'], 'xa'],
  [['x'], 'xa'],
  [['tt'], 'thi_tran'],
  [['dk'], 'dac_khu'],
  [['quan'], 'quan'],
  [['q'], 'quan'],
  [['huyen'], 'huyen'],
  [['h'], 'huyen'],
  [['tx'], 'thi_xa'],
  [['tp'], 'thanh_pho'],
  [['tinh'], 'tinh'],
  [['t'], 'tinh'],
  // English, as in "Ward 1, District 3".
  [['ward'], 'phuong'],
  [['commune'], 'xa'],
  [['district'], 'quan'],
  [['dist'], 'quan'],
];

/** English type words written after the name: "Ben Nghe Ward", "Binh Thanh District", "Ho Chi Minh City". */
const SUFFIX_MARKERS: ReadonlyMap<string, MarkerType> = new Map([
  ['ward', 'phuong'],
  ['commune', 'xa'],
  ['district', 'quan'],
  ['city', 'thanh_pho'],
  ['province', 'tinh'],
]);

/** The type word after a name ending at `end`, if any: the name then ends one token earlier. */
function suffixAt(tokens: readonly Token[], end: number, floor: number): Marker | null {
  const last = tokens[end - 1];
  const type = last === undefined || last.sep || end - 1 <= floor ? undefined : SUFFIX_MARKERS.get(last.w);
  return type ? { type, start: end - 1 } : null;
}

interface Marker {
  readonly type: MarkerType;
  readonly start: number;
}

/** The type word(s) written right before `index`, in the same comma-separated part. */
function markerBefore(tokens: readonly Token[], index: number, floor: number): Marker | null {
  if (tokens[index]?.sep) return null; // "Sài Gòn Ward, Hồ Chí Minh": the word belongs to the part before
  for (const [words, type] of MARKERS) {
    const start = index - words.length;
    if (start < floor) continue;
    if (words.every((w, k) => tokens[start + k]?.w === w && (k === 0 || !tokens[start + k]?.sep))) {
      return { type, start };
    }
  }
  return null;
}

function markerAt(tokens: readonly Token[], index: number): MarkerType | null {
  for (const [words, type] of MARKERS) if (words.every((w, k) => tokens[index + k]?.w === w)) return type;
  return null;
}

/** Words that put a name in a street ("Phố Hàng Bài", "123 Trần Hưng Đạo"), not in a unit. */
const STREET_WORDS: ReadonlySet<string> = new Set([
  'so',
  'duong',
  'pho',
  'ngo',
  'hem',
  'kiet',
  'ngach',
  'ql',
  'tl',
]);

const WARD_MARKERS: ReadonlySet<MarkerType> = new Set(['phuong', 'xa', 'thi_tran', 'dac_khu']);
const DISTRICT_MARKERS: ReadonlySet<MarkerType> = new Set(['quan', 'huyen', 'thi_xa', 'thanh_pho']);

// ---------------------------------------------------------------------------------------------------------
// The index, built once.

interface ProvinceKey {
  /** 2025 province the name denotes (for a legacy-only name: the one it went into). */
  readonly newCode: string;
  /** Legacy provinces the name may mean. */
  readonly legacyCodes: readonly string[];
  /** True when the name stopped being a province on 1 July 2025 ("Bình Dương"). */
  readonly legacyOnly: boolean;
  readonly city: boolean;
}

interface Index {
  readonly version: string;
  readonly provinces: Map<string, ProvinceKey>;
  readonly provinceMaxLen: number;
  readonly wards: Map<string, Ward[]>;
  readonly legacyWards: Map<string, LegacyWard[]>;
  readonly districts: Map<string, LegacyDistrict[]>;
  readonly nameMaxLen: number;
  /** Legacy province codes folded into each 2025 province. */
  readonly legacyOf: Map<string, string[]>;
}

let built: Index | undefined;

function foldName(name: string): string {
  return tokenize(name.normalize('NFC'))
    .map((t) => t.w)
    .join(' ');
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function index(): Index {
  if (built) return built;
  const d = addressDataset();
  const provinces = new Map<string, ProvinceKey>();
  const legacyOf = new Map<string, string[]>();
  for (const lp of d.legacyProvinces) push(legacyOf, lp.newProvinceCode, lp.code);
  const legacyNames: [string, string][] = d.legacyProvinces.map((lp) => [foldName(lp.name), lp.code]);
  legacyNames.push(['thua thien hue', '46']);
  for (const [key, code] of legacyNames) {
    const lp = legacyProvinceByCode(code);
    if (!lp) continue;
    provinces.set(key, {
      newCode: lp.newProvinceCode,
      legacyCodes: [code],
      legacyOnly: true,
      city: lp.type === 'thanh_pho',
    });
  }
  const newNames: [string, string][] = d.provinces.map((p) => [foldName(p.name), p.code]);
  newNames.push(['sai gon', '79']);
  for (const [key, code] of newNames) {
    const p = provinceByCode(code);
    if (!p) continue;
    const legacy = provinces.get(key);
    provinces.set(key, {
      newCode: code,
      legacyCodes: legacy ? legacy.legacyCodes : (legacyOf.get(code) ?? []),
      legacyOnly: false,
      city: p.type === 'thanh_pho',
    });
  }
  let nameMaxLen = 1;
  const measure = (key: string): string => {
    nameMaxLen = Math.max(nameMaxLen, key.split(' ').length);
    return key;
  };
  const wards = new Map<string, Ward[]>();
  for (const w of d.wards) push(wards, measure(foldName(w.name)), w);
  const legacyWards = new Map<string, LegacyWard[]>();
  for (const w of d.legacyWards) push(legacyWards, measure(foldName(w.name)), w);
  const districts = new Map<string, LegacyDistrict[]>();
  for (const dist of d.legacyDistricts) push(districts, measure(foldName(dist.name)), dist);
  built = {
    version: d.version,
    provinces,
    provinceMaxLen: Math.max(...[...provinces.keys()].map((k) => k.split(' ').length)),
    wards,
    legacyWards,
    districts,
    nameMaxLen,
    legacyOf,
  };
  return built;
}

// ---------------------------------------------------------------------------------------------------------
// Matching.

interface ProvinceMatch {
  readonly key: ProvinceKey;
  /** First token of the province (its marker included). */
  readonly start: number;
}

/** The province, which Vietnamese addresses write last. Only the end is tried: street names borrow province names. */
function matchProvince(ix: Index, tokens: readonly Token[], end: number): ProvinceMatch | null {
  const suffix = suffixAt(tokens, end, 0);
  const ends: [number, Marker | null][] =
    suffix && (suffix.type === 'tinh' || suffix.type === 'thanh_pho')
      ? [
          [end - 1, suffix],
          [end, null],
        ]
      : [[end, null]];
  for (const [nameEnd, after] of ends) {
    for (let len = Math.min(ix.provinceMaxLen, nameEnd); len >= 1; len--) {
      const nameStart = nameEnd - len;
      const key = ix.provinces.get(join(tokens, nameStart, nameEnd));
      if (!key) continue;
      const marker = markerBefore(tokens, nameStart, 0) ?? after;
      if (marker && marker.type !== 'tinh' && marker.type !== 'thanh_pho') continue; // "Phường Long An"
      if (marker?.type === 'thanh_pho' && !key.city) continue; // "TP Bắc Giang": a legacy city district
      const before = marker && marker !== after ? marker.start : nameStart;
      return { key, start: before };
    }
  }
  return null;
}

interface Scope {
  readonly newCode: string | null;
  readonly legacyCodes: ReadonlySet<string> | null;
  readonly districtIds: ReadonlySet<number> | null;
}

interface UnitMatch {
  /** Span of the unit, type words included. */
  readonly start: number;
  readonly end: number;
  /** Span of the name alone. */
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly marker: Marker | null;
  readonly wards: readonly Ward[];
  readonly legacyWards: readonly LegacyWard[];
  readonly districts: readonly LegacyDistrict[];
}

function join(tokens: readonly Token[], from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += i === from ? tokens[i]?.w : ` ${tokens[i]?.w}`;
  return s;
}

/** The longest unit name ending just before `end` (within `floor..end`), with the marker written before it. */
function matchUnit(
  ix: Index,
  tokens: readonly Token[],
  floor: number,
  end: number,
  scope: Scope,
  want: 'any' | 'ward' | 'district',
  requireMarker = false,
): UnitMatch | null {
  const suffix = suffixAt(tokens, end, floor);
  const ends: [number, Marker | null][] =
    suffix && suffix.type !== 'tinh'
      ? [
          [end - 1, suffix],
          [end, null],
        ]
      : [[end, null]];
  for (const [nameEnd, after] of ends) {
    for (let len = Math.min(ix.nameMaxLen, nameEnd - floor); len >= 1; len--) {
      const nameStart = nameEnd - len;
      const key = join(tokens, nameStart, nameEnd);
      const before = markerBefore(tokens, nameStart, floor);
      const marker = before ?? after;
      if (!marker) {
        if (/^\d+$/.test(key)) continue; // a bare number is a house number, not "Phường 1"
        if (requireMarker) continue;
        // An unmarked name must stand in its own comma-separated part (or, inside a known district, at
        // least not follow a house number or a street word): "123 Trần Hưng Đạo" is a street.
        const previous = tokens[nameStart - 1]?.w;
        if (previous !== undefined && (/^\d/.test(previous) || STREET_WORDS.has(previous))) continue;
        if (!tokens[nameStart]?.sep && scope.districtIds === null) continue;
      }
      if (marker?.type === 'tinh') continue;
      const wardOk = want !== 'district' && (!marker || WARD_MARKERS.has(marker.type));
      const districtOk = want !== 'ward' && (!marker || DISTRICT_MARKERS.has(marker.type));
      const wards = wardOk
        ? (ix.wards.get(key) ?? []).filter((w) => scope.newCode === null || w.provinceCode === scope.newCode)
        : [];
      const legacyWards = wardOk
        ? (ix.legacyWards.get(key) ?? []).filter(
            (w) =>
              (scope.legacyCodes === null || scope.legacyCodes.has(w.provinceCode)) &&
              (scope.districtIds === null || scope.districtIds.has(w.district.id)),
          )
        : [];
      const districts = districtOk
        ? (ix.districts.get(key) ?? []).filter(
            (dist) => scope.legacyCodes === null || scope.legacyCodes.has(dist.provinceCode),
          )
        : [];
      if (wards.length || legacyWards.length || districts.length) {
        return {
          start: before ? before.start : nameStart,
          end,
          nameStart,
          nameEnd,
          marker,
          wards,
          legacyWards,
          districts,
        };
      }
    }
  }
  return null;
}

/** The rightmost unit with a written type marker, for text that does not end in a unit. */
function scanMarked(
  ix: Index,
  tokens: readonly Token[],
  floor: number,
  end: number,
  scope: Scope,
  want: 'any' | 'ward' | 'district',
): UnitMatch | null {
  for (let e = end - 1; e > floor; e--) {
    const m = matchUnit(ix, tokens, floor, e, scope, want, true);
    if (m) return m;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------

const round = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;

function unitOfWard(w: Ward): ParsedUnit {
  return { code: w.code, name: w.fullName, type: w.type };
}

function provinceRef(code: string): ParsedProvince | null {
  const p = provinceByCode(code);
  return p ? { code: p.code, name: p.fullName } : null;
}

function legacyProvinceRef(code: string): ParsedProvince | null {
  const p = legacyProvinceByCode(code);
  return p ? { code: p.code, name: p.fullName } : null;
}

function candidateOf(w: Ward): AddressCandidate {
  return {
    code: w.code,
    name: w.fullName,
    province: provinceRef(w.provinceCode) ?? { code: w.provinceCode, name: '' },
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function cleanStreet(s: string): string {
  return s.replace(/[\s,;.\-–/|]+$/u, '').trim();
}

/**
 * Parses one free-text address. Never throws: what it cannot read comes back as nulls with warnings and a
 * low confidence.
 */
export function parseAddress(text: string): ParsedAddress {
  const ix = index();
  const src = text.normalize('NFC');
  const tokens = tokenize(src);
  const warnings: AddressWarning[] = [];
  if (tokens.length === 0) {
    return {
      street: '',
      ward: null,
      province: null,
      legacyDistrict: null,
      form: 'unknown',
      mapped: null,
      ambiguous: false,
      candidates: [],
      confidence: 0,
      datasetVersion: ix.version,
      warnings: ['empty_input'],
    };
  }

  // Country and postcode trail some addresses.
  let end = tokens.length;
  for (;;) {
    const last = tokens[end - 1]?.w;
    if (last === 'vn' || last === 'vietnam') end -= 1;
    else if (last === 'nam' && tokens[end - 2]?.w === 'viet') end -= 2;
    else if (last !== undefined && /^\d{5,6}$/.test(last) && end > 1) end -= 1;
    else break;
  }

  const province = matchProvince(ix, tokens, end);
  const limit = province ? province.start : end;
  const provinceScope: Scope = province
    ? { newCode: province.key.newCode, legacyCodes: new Set(province.key.legacyCodes), districtIds: null }
    : { newCode: null, legacyCodes: null, districtIds: null };

  // Units right to left from the province: [ward] [district] province.
  let ward: UnitMatch | null = null;
  let district: UnitMatch | null = null;
  // Without a province the whole country is in scope: only a name with its type written is trusted.
  const first =
    matchUnit(ix, tokens, 0, limit, provinceScope, 'any', province === null) ??
    scanMarked(ix, tokens, 0, limit, provinceScope, 'any');
  if (first) {
    const isWard = first.wards.length > 0 || first.legacyWards.length > 0;
    const isDistrict = first.districts.length > 0;
    const districtScope = (m: UnitMatch): Scope => ({
      ...provinceScope,
      districtIds: new Set(m.districts.map((dist) => dist.id)),
    });
    if (isDistrict && (!isWard || !first.marker)) {
      // "Hoàn Kiếm" alone is both a 2025 ward and a legacy district: it is the district when a ward of that
      // district is written before it.
      const before =
        matchUnit(ix, tokens, 0, first.start, districtScope(first), 'ward') ??
        scanMarked(ix, tokens, 0, first.start, districtScope(first), 'ward');
      if (before || !isWard) {
        district = { ...first, wards: [], legacyWards: [] };
        ward = before;
      } else ward = { ...first, districts: [] };
    } else ward = { ...first, districts: [] };
  }

  // A district-type word between the ward and the province that matched no known district.
  let legacyDistrict: string | null = null;
  if (district) {
    const names = unique(district.districts.map((dist) => dist.fullName));
    legacyDistrict =
      names.length === 1
        ? (names[0] ?? null)
        : src.slice(tokens[district.start]?.start, tokens[district.end - 1]?.end);
  } else if (ward && ward.end < limit) {
    const marker = markerAt(tokens, ward.end);
    if (marker && DISTRICT_MARKERS.has(marker)) {
      legacyDistrict = src.slice(tokens[ward.end]?.start, tokens[limit - 1]?.end).trim();
    }
  }

  const consumedFrom = ward?.start ?? district?.start ?? (province ? province.start : end);
  const street = cleanStreet(src.slice(0, tokens[consumedFrom]?.start ?? src.length));

  let newCands = ward ? [...ward.wards] : [];
  let legacyCands = ward ? [...ward.legacyWards] : [];
  if (ward) {
    // Folding merges "Tân Thành", "Tân Thạnh" and "Tân Thanh": text written with diacritics picks its own.
    const written = src
      .slice(tokens[ward.nameStart]?.start, tokens[ward.nameEnd - 1]?.end)
      .toLowerCase()
      .replace(/\s+/g, ' ');
    // Text typed without diacritics says nothing about them ("Na Hang" may be "Nà Hang"); text typed with
    // them means what it says, even where a name has none ("Thanh An" is not "Thạnh An").
    const hasDiacritics = /\P{ASCII}/u.test(src);
    const same = (name: string): boolean => canonicalTones(name).toLowerCase() === canonicalTones(written);
    const exactNew = newCands.filter((w) => same(w.name));
    const exactLegacy = legacyCands.filter((w) => same(w.name));
    if (hasDiacritics && (exactNew.length || exactLegacy.length)) {
      newCands = exactNew;
      legacyCands = exactLegacy;
    }
  }
  let typeMismatch = false;
  if (ward?.marker && WARD_MARKERS.has(ward.marker.type)) {
    const t = ward.marker.type;
    const typedNew = newCands.filter((w) => w.type === t);
    const typedLegacy = legacyCands.filter((w) => w.type === t);
    if (typedNew.length || typedLegacy.length) {
      newCands = typedNew;
      legacyCands = typedLegacy;
    } else typeMismatch = true;
  }
  if (typeMismatch) warnings.push('ward_type_mismatch');

  const legacySignal =
    district !== null || province?.key.legacyOnly === true || ward?.marker?.type === 'thi_tran';
  let confidence = province ? 0.3 : 0;
  if (ward?.marker) confidence += typeMismatch ? 0 : 0.1;

  // Legacy form.
  if (legacyCands.length > 0 && (newCands.length === 0 || legacySignal)) {
    warnings.push('legacy_address');
    const targetCodes = unique(legacyCands.flatMap((w) => w.newWardCodes));
    const targets = targetCodes.map((c) => findWard(c)).filter((w): w is Ward => w !== null);
    const single = legacyCands.length === 1 ? legacyCands[0] : undefined;
    const legacyProvinces = unique(legacyCands.map((w) => w.provinceCode));
    const newProvinces = unique(targets.map((w) => w.provinceCode));
    if (single && single.newWardCodes.length > 1) warnings.push('ward_split');
    if (!single && targets.length > 1) warnings.push('ward_ambiguous');
    if (!province) warnings.push('province_inferred');
    const ambiguous = targets.length > 1;
    const first = legacyCands[0];
    confidence += ambiguous ? 0.2 : 0.5;
    if (district) confidence += 0.1;
    if (!province && legacyProvinces.length === 1 && !ambiguous) confidence += 0.1;
    return {
      street,
      ward: first ? { code: single?.code ?? null, name: first.fullName, type: first.type } : null,
      province:
        legacyProvinces.length === 1 && legacyProvinces[0] ? legacyProvinceRef(legacyProvinces[0]) : null,
      legacyDistrict: legacyDistrict ?? (single ? single.district.fullName : null),
      form: 'legacy',
      mapped: {
        ward: !ambiguous && targets[0] ? unitOfWard(targets[0]) : null,
        province: newProvinces.length === 1 && newProvinces[0] ? provinceRef(newProvinces[0]) : null,
      },
      ambiguous,
      candidates: ambiguous ? targets.map(candidateOf) : [],
      confidence: round(ambiguous ? Math.min(confidence, 0.6) : confidence),
      datasetVersion: ix.version,
      warnings,
    };
  }

  // 2025 form.
  if (newCands.length > 0) {
    if (legacyDistrict) warnings.push('legacy_district_ignored');
    if (province?.key.legacyOnly) warnings.push('legacy_province_name');
    const provinces = unique(newCands.map((w) => w.provinceCode));
    if (!province) warnings.push('province_inferred');
    const only = newCands.length === 1 ? newCands[0] : undefined;
    // The same name was also a legacy ward that went into another unit ("Phường Đại Mỗ" before and after
    // 2025 are not the same place): the text may predate the reform, so a person confirms.
    const elsewhere =
      only && province
        ? unique(legacyCands.flatMap((w) => w.newWardCodes))
            .filter((c) => c !== only.code)
            .map((c) => findWard(c))
            .filter((w): w is Ward => w !== null)
        : [];
    if (elsewhere.length) warnings.push('legacy_name_conflict');
    const candidates = only ? (elsewhere.length ? [only, ...elsewhere] : []) : newCands;
    const ambiguous = candidates.length > 1;
    if (ambiguous) warnings.push('ward_ambiguous');
    confidence += only ? 0.5 : 0.2;
    if (!province && only) confidence += 0.1;
    return {
      street,
      ward: only ? unitOfWard(only) : null,
      province: provinces.length === 1 && provinces[0] ? provinceRef(provinces[0]) : null,
      legacyDistrict,
      form: 'new',
      mapped: null,
      ambiguous,
      candidates: candidates.map(candidateOf),
      confidence: round(ambiguous ? Math.min(confidence, 0.6) : confidence),
      datasetVersion: ix.version,
      warnings,
    };
  }

  // No ward: a province, perhaps a district.
  warnings.push('ward_not_found');
  if (!province) warnings.push('province_not_found');
  const districtProvinces = district ? unique(district.districts.map((dist) => dist.provinceCode)) : [];
  const legacyCode =
    districtProvinces.length === 1
      ? districtProvinces[0]
      : province?.key.legacyOnly && province.key.legacyCodes.length === 1
        ? province.key.legacyCodes[0]
        : undefined;
  const isLegacy = district !== null || province?.key.legacyOnly === true;
  if (isLegacy) warnings.push('legacy_address');
  const newCode = legacyCode ? legacyProvinceByCode(legacyCode)?.newProvinceCode : province?.key.newCode;
  return {
    street,
    ward: null,
    province: isLegacy
      ? legacyCode
        ? legacyProvinceRef(legacyCode)
        : null
      : province
        ? provinceRef(province.key.newCode)
        : null,
    legacyDistrict,
    form: isLegacy ? 'legacy' : 'unknown',
    mapped: isLegacy ? { ward: null, province: newCode ? provinceRef(newCode) : null } : null,
    ambiguous: false,
    candidates: [],
    confidence: round(province || district ? 0.3 : 0),
    datasetVersion: ix.version,
    warnings,
  };
}

/**
 * The address in its 2025 written form: "12 Lý Tự Trọng, Phường Sài Gòn, Thành phố Hồ Chí Minh". Null when
 * the ward code is not a 2025 unit. The street is kept as given (trimmed, NFC).
 */
export function formatAddress(street: string, wardCode: string): string | null {
  const ward = findWard(wardCode);
  const province = ward ? provinceByCode(ward.provinceCode) : null;
  if (!ward || !province) return null;
  const s = cleanStreet(street.normalize('NFC'));
  return [s, ward.fullName, province.fullName].filter((part) => part !== '').join(', ');
}
