import { type ParsedName, parseVietnameseName } from './name.parse.js';
import { type GenderSignal, givenSignal, middleSignal, pairSignal } from './names.data.js';
import { parseNationalId } from './national-id.js';
import { accentKey, fold } from './text.js';

export type Gender = 'male' | 'female';

export interface InferGenderInput {
  fullName: string;
  /** An explicit gender on the record; always wins. */
  gender?: Gender | null;
  /** The 12-digit personal identification number (CCCD); its 4th digit encodes gender. */
  nationalId?: string | null;
  /** A name already parsed from fullName, to avoid parsing twice. */
  parsed?: ParsedName | null;
  /** Reference date for the national-ID plausibility check (a birth year cannot lie ahead of it). */
  today?: Date;
}

export interface GenderInference {
  gender: Gender | 'unknown';
  /**
   * Probability that `gender` is right. For 'unknown', how far the weak evidence leaned either way
   * (0.5 = no evidence at all); the lean is named in the reasons.
   */
  confidence: number;
  /** Which signal decided: the first one present in the precedence order. */
  source: 'explicit' | 'national_id' | 'title' | 'middle_name' | 'name_statistics' | 'none';
  reasons: string[];
}

/** Name statistics must reach this probability to name a gender; below it the neutral form is used. */
export const STATISTICS_THRESHOLD = 0.7;
/** Statistics never claim more certainty than this: names are only evidence. */
const STATISTICS_CAP = 0.95;

const clamp = (p: number) => Math.min(0.99, Math.max(0.01, p));
const logit = (p: number) => Math.log(clamp(p) / (1 - clamp(p)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** A rare name's estimate is trusted less: pull it toward 0.5 by its weight (1 → halfway, 30 → 3 %). */
const shrink = (s: GenderSignal) => 0.5 + (s.pMale - 0.5) * (s.weight / (s.weight + 1));
const describe = (p: number) => (p >= 0.5 ? `male ${p.toFixed(2)}` : `female ${(1 - p).toFixed(2)}`);

/**
 * Infers the gender of a Vietnamese contact. Signals, strongest first; the first present decides:
 * 1. the explicit gender field;
 * 2. the national ID's 4th digit (even male, odd female), when the number is valid;
 * 3. a gendered title written before the name ("Mr", "Ms", "Ông", "Bà");
 * 4. the middle name Thị (female) or Văn (male) — spelled with accents; an unaccented "Van" may be the
 *    female middle name Vân, so it is left to the statistics, whereas "Thi" is taken as Thị;
 * 5. name statistics: a known two-syllable given name ("Phương Anh" female, "Đức Anh" male) when written
 *    with accents, otherwise the given name's and every middle name's estimates combined as independent
 *    evidence (sum of log-odds). Below STATISTICS_THRESHOLD the answer is 'unknown'.
 * Conflicts with a stronger signal are reported in `reasons`, never silently dropped.
 */
export function inferGender(input: InferGenderInput): GenderInference {
  const reasons: string[] = [];
  const id =
    input.nationalId === undefined || input.nationalId === null || input.nationalId.trim() === ''
      ? undefined
      : parseNationalId(input.nationalId, input.today === undefined ? {} : { today: input.today });
  if (id === null) reasons.push('national ID is not a valid 12-digit number: ignored');

  if (input.gender === 'male' || input.gender === 'female') {
    reasons.push(`gender field: ${input.gender}`);
    if (id && id.gender !== input.gender)
      reasons.push(`national ID says ${id.gender}; the gender field wins`);
    return { gender: input.gender, confidence: 1, source: 'explicit', reasons };
  }
  if (id) {
    const digit = id.id[3];
    reasons.push(`national ID 4th digit ${digit}: ${id.gender}`);
    return { gender: id.gender, confidence: 0.99, source: 'national_id', reasons };
  }

  const parsed = input.parsed ?? parseVietnameseName(input.fullName);
  if (parsed === null) {
    reasons.push('no name to read a gender from');
    return { gender: 'unknown', confidence: 0.5, source: 'none', reasons };
  }
  if (parsed.titleGender !== null && parsed.title !== null) {
    reasons.push(`title ${parsed.title}: ${parsed.titleGender}`);
    return { gender: parsed.titleGender, confidence: 0.95, source: 'title', reasons };
  }

  const hasThi = parsed.middle.some(
    (m) => fold(m) === 'thi' && (parsed.unaccented || accentKey(m) === 'thị'),
  );
  const hasVan = parsed.middle.some((m) => accentKey(m) === 'văn');
  if (hasThi !== hasVan) {
    reasons.push(hasThi ? 'middle name Thị: female' : 'middle name Văn: male');
    return { gender: hasThi ? 'female' : 'male', confidence: 0.98, source: 'middle_name', reasons };
  }
  if (hasThi && hasVan) reasons.push('middle names Thị and Văn contradict each other: ignored');

  return fromStatistics(parsed, reasons);
}

function fromStatistics(parsed: ParsedName, reasons: string[]): GenderInference {
  const lastMiddle = parsed.middle[parsed.middle.length - 1];
  const pair =
    lastMiddle !== undefined && !parsed.unaccented ? pairSignal(lastMiddle, parsed.given) : undefined;
  let p: number | undefined;
  if (pair !== undefined) {
    p = pair;
    reasons.push(`given name ${lastMiddle} ${parsed.given}: ${describe(pair)}`);
  } else {
    let sum = 0;
    let any = false;
    for (const m of parsed.middle) {
      const s = middleSignal(m, parsed.unaccented);
      if (s === undefined) continue;
      const q = shrink(s);
      sum += logit(q);
      any = true;
      reasons.push(`middle name ${m}${spellings(s, m)}: ${describe(q)}`);
    }
    const g = givenSignal(parsed.given, parsed.unaccented);
    if (g !== undefined) {
      const q = shrink(g);
      sum += logit(q);
      any = true;
      reasons.push(`given name ${parsed.given}${spellings(g, parsed.given)}: ${describe(q)}`);
    } else reasons.push(`given name ${parsed.given} is not in the name data`);
    if (any) p = sigmoid(sum);
  }
  if (p === undefined) {
    reasons.push('no gender signal in the name');
    return { gender: 'unknown', confidence: 0.5, source: 'none', reasons };
  }
  const confidence = Math.min(STATISTICS_CAP, Math.max(p, 1 - p));
  if (Math.max(p, 1 - p) < STATISTICS_THRESHOLD) {
    reasons.push(`name leans ${describe(p)}, below ${STATISTICS_THRESHOLD}: gender unknown`);
    return { gender: 'unknown', confidence, source: 'name_statistics', reasons };
  }
  return { gender: p >= 0.5 ? 'male' : 'female', confidence, source: 'name_statistics', reasons };
}

/** Names the accented spellings an unaccented token was read as ("Lan" → Lan/Lân). */
function spellings(s: GenderSignal, token: string): string {
  const others = s.spellings.filter((x) => x !== token);
  return others.length > 0 ? ` (read as ${s.spellings.join('/')})` : '';
}
