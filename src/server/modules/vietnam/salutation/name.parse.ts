import { compoundFamilyLength, familyShare, isCallNamePair } from './names.data.js';
import { fold, isUnaccented, normalizeToken, tokens as splitTokens } from './text.js';

/** A Vietnamese personal name split into its parts, every part normalized (NFC, Đ, tone, title case). */
export interface ParsedName {
  /** Family name; may be several syllables ("Tôn Nữ", "Âu Dương"); '' for a single-word name. */
  family: string;
  middle: string[];
  given: string;
  /** What the person is called by: the given name, or both syllables for names like "Ngọc Anh". */
  callName: string;
  /** The name in Vietnamese order (family, middle, given), as a letter heading should print it. */
  full: string;
  /** The normalized name in the order it was written (titles removed). */
  written: string;
  /** How the input was ordered: 'western' when the family name came last ("Lan Nguyen"). */
  order: 'vietnamese' | 'western';
  /** True when the name carried no diacritics at all (lookups then use folded keys). */
  unaccented: boolean;
  /** A title that preceded the name ("Mr", "Bà", "TS"), normalized, or null. */
  title: string | null;
  /** Gender a gendered title states ("Mr", "Ông" → male; "Ms", "Bà", "Chị" → female), else null. */
  titleGender: 'male' | 'female' | null;
}

/** Western and academic titles: always a title when leading the name. */
const TITLES: Record<string, 'male' | 'female' | null> = {
  mr: 'male',
  mrs: 'female',
  ms: 'female',
  miss: 'female',
  mx: null,
  dr: null,
  prof: null,
  ts: null,
  ths: null,
  pgs: null,
  gs: null,
  bs: null,
  ks: null,
};

/**
 * Vietnamese forms of address, a title when a known family name follows ("Bà Trần Thị Lan"); the
 * unambiguous ones (never a name) also before a lone given name ("Chị Lan"). "Ông" is also a family name;
 * "Anh" is left out: it is one of the commonest given names ("Anh Nguyen").
 */
const VIETNAMESE_TITLES: Record<string, { gender: 'male' | 'female'; unambiguous: boolean }> = {
  ông: { gender: 'male', unambiguous: false },
  bà: { gender: 'female', unambiguous: true },
  chị: { gender: 'female', unambiguous: true },
  cô: { gender: 'female', unambiguous: true },
  chú: { gender: 'male', unambiguous: true },
};

/** A "common" family name (percent of the population): needed at the end to read Western order. */
const COMMON_FAMILY_SHARE = 0.5;
/** ...and this many times commoner than the first word read as a family name ("Mai Nguyen"). */
const WESTERN_RATIO = 5;

function titleOf(token: string): { gender: 'male' | 'female' | null } | undefined {
  const parts = fold(token)
    .split('.')
    .filter((p) => p.length > 0);
  if (parts.length === 0 || !parts.every((p) => p in TITLES)) return undefined;
  const genders = parts.map((p) => TITLES[p] ?? null).filter((g) => g !== null);
  return { gender: genders[0] ?? null };
}

/** Drops parenthesized nicknames and any character that cannot belong to a name. */
function cleanInput(full: string): string {
  return full
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
    .replace(/[^\p{L}\p{M}'’\-,.\s]/gu, ' ')
    .replace(/\s*,\s*/g, ' , ');
}

/**
 * Whether the word after a Vietnamese form of address starts the name. "Ông" is itself a family name
 * ("Ông Văn Tùng"), so after it only a common family name counts.
 */
function looksLikeFamily(next: string, title: string, unaccented: boolean): boolean {
  const share = familyShare(next, unaccented);
  return familyShare(title, unaccented) > 0 ? share >= COMMON_FAMILY_SHARE : share > 0;
}

function isClassicMiddle(token: string): boolean {
  const f = fold(token);
  return f === 'thi' || f === 'van';
}

/**
 * Parses a Vietnamese personal name. Normalizes every part (NFC, U+00D0 → Đ, traditional tone placement,
 * collapsed white space, title case), removes leading titles, and decides the order:
 * - "Family, Given" (a comma) puts the family name before the comma;
 * - Western order when the last word is a common family name that is much commoner than the first word
 *   read as one ("Lan Nguyen", "Mai Nguyen"; but "Nguyễn Mai", "Đinh Thị Mai" stay Vietnamese). Of the
 *   two Western habits, "Lan Thi Nguyen" (given first, middle kept) is recognized by Thị/Văn in second
 *   place; otherwise the family name was just moved to the end ("Thanh Hai Nguyen" = Nguyễn Thanh Hải);
 * - compound family names ("Tôn Nữ", "Công Tằng Tôn Nữ", "Tôn Thất", "Âu Dương") are taken whole when a
 *   given name remains after them.
 * The call name is the given name, or the last middle name plus the given name for the short list of
 * two-syllable names people are called by ("Ngọc Anh", "Tuấn Anh").
 * Returns null when no letters remain.
 */
export function parseVietnameseName(full: string): ParsedName | null {
  if (typeof full !== 'string') return null;
  let raw = splitTokens(cleanInput(full))
    .map((t) => t.replace(/^[.\-'’]+|[-'’]+$/g, ''))
    .filter((t) => t.length > 0);
  let title: string | null = null;
  let titleGender: 'male' | 'female' | null = null;
  // Titles only lead a name; several may ("PGS. TS.", "Mr. Dr.").
  while (raw.length > 1) {
    const first = raw[0] as string;
    const western = titleOf(first);
    const vn = VIETNAMESE_TITLES[normalizeToken(first).toLowerCase()];
    const next = raw[1] as string;
    if (western !== undefined) {
      title = title ?? first.replace(/\.+$/, '');
      titleGender = titleGender ?? western.gender;
    } else if (
      vn !== undefined &&
      ((raw.length > 2 && looksLikeFamily(next, first, isUnaccented(raw.join(' ')))) ||
        (raw.length === 2 && vn.unambiguous))
    ) {
      title = title ?? normalizeToken(first);
      titleGender = titleGender ?? vn.gender;
    } else break;
    raw = raw.slice(1);
  }
  raw = raw.map((t) => t.replace(/\.+$/g, '')).filter((t) => t.length > 0);
  const commaAt = raw.indexOf(',');
  const words = raw.filter((t) => t !== ',' && /\p{L}/u.test(t));
  if (words.length === 0) return null;
  const unaccented = isUnaccented(words.join(' '));
  const norm = words.map((t) => normalizeToken(t));
  const written = norm.join(' ');
  const base = { written, unaccented, title, titleGender };

  if (norm.length === 1) {
    const given = norm[0] as string;
    return { ...base, family: '', middle: [], given, callName: given, full: given, order: 'vietnamese' };
  }

  let familyParts: string[];
  let rest: string[];
  let order: 'vietnamese' | 'western' = 'vietnamese';
  const familyWordsBeforeComma = raw.slice(0, commaAt).filter((t) => /\p{L}/u.test(t)).length;
  if (commaAt > 0 && familyWordsBeforeComma < norm.length) {
    familyParts = norm.slice(0, familyWordsBeforeComma);
    rest = norm.slice(familyWordsBeforeComma);
  } else {
    const firstShare = familyShare(norm[0] as string, unaccented);
    const lastShare = familyShare(norm[norm.length - 1] as string, unaccented);
    if (lastShare >= COMMON_FAMILY_SHARE && lastShare >= WESTERN_RATIO * firstShare) {
      order = 'western';
      familyParts = [norm[norm.length - 1] as string];
      const before = norm.slice(0, -1);
      const givenFirst = before.length === 2 && isClassicMiddle(before[1] as string);
      rest = givenFirst ? [before[1] as string, before[0] as string] : before;
    } else {
      const compound = compoundFamilyLength(norm, unaccented);
      const familyLength = compound > 0 && compound < norm.length ? compound : 1;
      familyParts = norm.slice(0, familyLength);
      rest = norm.slice(familyLength);
    }
  }
  const given = rest[rest.length - 1] as string;
  const middle = rest.slice(0, -1);
  const lastMiddle = middle[middle.length - 1];
  const callName =
    lastMiddle !== undefined && isCallNamePair(lastMiddle, given, unaccented)
      ? `${lastMiddle} ${given}`
      : given;
  const family = familyParts.join(' ');
  return {
    ...base,
    family,
    middle,
    given,
    callName,
    full: [family, ...middle, given].join(' '),
    order,
  };
}
