import { z } from 'zod';
import { type Gender, inferGender } from './gender.js';
import { type ParsedName, parseVietnameseName } from './name.parse.js';
import { parseNationalId, yearInVietnam } from './national-id.js';
import { normalizeToken, tokens } from './text.js';

export const SALUTATION_FORMS = ['Ông', 'Bà', 'Anh', 'Chị', 'Em', 'Anh/Chị', 'Ông/Bà'] as const;
export type Salutation = (typeof SALUTATION_FORMS)[number];

/** The stored code of each form (crm_contacts.salutation; 'anh_chi'/'ong_ba' are the neutral forms). */
export const SALUTATION_CODES = {
  Ông: 'ong',
  Bà: 'ba',
  Anh: 'anh',
  Chị: 'chi',
  Em: 'em',
  'Anh/Chị': 'anh_chi',
  'Ông/Bà': 'ong_ba',
} as const satisfies Record<Salutation, string>;
export type SalutationCode = (typeof SALUTATION_CODES)[Salutation];

/** Ông/Bà from this age (in years, by birth year) regardless of the speaker. */
export const ELDERLY_AGE = 60;
/** Ông/Bà when the contact was born at least this many years before the speaker. */
export const MUCH_OLDER_YEARS = 20;
/** Em when the contact was born at least this many years after the speaker. */
export const YOUNGER_YEARS = 10;

const birthYear = z.number().int().min(1900).max(2100);

/** Input of the salutation API, for transports to parse before calling salutation(). */
export const salutationInputSchema = z.object({
  fullName: z.string().max(300),
  gender: z.enum(['male', 'female']).nullish(),
  birthYear: birthYear.nullish(),
  nationalId: z.string().max(40).nullish(),
  speakerBirthYear: birthYear.nullish(),
  /** The contact's preferred call name, when someone has edited it; replaces the derived one. */
  callName: z.string().max(100).nullish(),
});

export type SalutationInput = z.input<typeof salutationInputSchema> & {
  /** Reference date for ages (the year in Vietnam, UTC+7). Default: now. */
  today?: Date;
};

export interface SalutationResult {
  salutation: Salutation;
  code: SalutationCode;
  callName: string;
  gender: Gender | 'unknown';
  /** How sure the rules are that this is the form someone who knows the contact would use (0..1). */
  confidence: number;
  /** Which rules fired and which gender signal decided, in order, for people to read. */
  reasons: string[];
  /** "Chị Lan", "Ông Tuấn", "Anh/Chị Minh"; "Quý khách" when there is no name. */
  display: string;
  /** Letter heading: "Kính gửi Ông Nguyễn Văn Tuấn"; formal letters use Ông/Bà whatever the age. */
  formal: string;
  birthYear: number | null;
  age: number | null;
  name: ParsedName | null;
}

const NEUTRAL_NAME = 'Quý khách';

/**
 * Chooses how to address a Vietnamese contact.
 * Birth year: the field, else the national ID. Then, in order:
 * - Ông/Bà when the contact is ELDERLY_AGE or older, or born MUCH_OLDER_YEARS or more before the speaker;
 * - Em when born YOUNGER_YEARS or more after the speaker (both birth years known);
 * - otherwise Anh (male) / Chị (female).
 * Gender comes from inferGender (explicit > national ID > title > Thị/Văn > name statistics); when it
 * stays unknown the neutral "Anh/Chị" or "Ông/Bà" is used. Ages are whole years by birth year only
 * (the exact birthday is rarely on file). Implausible birth years (future, before 1900) are ignored and
 * said so in the reasons; nothing here throws.
 */
export function salutation(input: SalutationInput): SalutationResult {
  const today = input.today ?? new Date();
  const thisYear = yearInVietnam(today);
  const reasons: string[] = [];
  const name = parseVietnameseName(input.fullName);
  const id =
    input.nationalId === undefined || input.nationalId === null || input.nationalId.trim() === ''
      ? undefined
      : parseNationalId(input.nationalId, { today });

  const fieldYear = plausibleYear(input.birthYear, thisYear, 'birth year', reasons);
  const speakerYear = plausibleYear(input.speakerBirthYear, thisYear, "speaker's birth year", reasons);
  let year: number | null = fieldYear;
  if (fieldYear !== null && id && id.birthYear !== fieldYear) {
    reasons.push(`birth year ${fieldYear} differs from the national ID's ${id.birthYear}; the field wins`);
  }
  if (year === null && id) {
    year = id.birthYear;
    reasons.push(`birth year ${year} from the national ID`);
  }
  const age = year === null ? null : thisYear - year;

  const g = inferGender({
    fullName: input.fullName,
    gender: input.gender ?? null,
    nationalId: input.nationalId ?? null,
    parsed: name,
    today,
  });

  let form: 'elder' | 'younger' | 'peer';
  if (year === null || age === null) {
    form = 'peer';
    reasons.push('birth year unknown: age rules not applied');
  } else if (age >= ELDERLY_AGE) {
    form = 'elder';
    reasons.push(`age ${age} (born ${year}): ${ELDERLY_AGE} or older → Ông/Bà`);
  } else if (speakerYear === null) {
    form = 'peer';
    reasons.push(`age ${age} (born ${year}), speaker's birth year unknown: relative-age rules not applied`);
  } else if (speakerYear - year >= MUCH_OLDER_YEARS) {
    form = 'elder';
    reasons.push(
      `born ${year}, ${speakerYear - year} years before the speaker (${speakerYear}): ${MUCH_OLDER_YEARS} or more → Ông/Bà`,
    );
  } else if (year - speakerYear >= YOUNGER_YEARS) {
    form = 'younger';
    reasons.push(
      `born ${year}, ${year - speakerYear} years after the speaker (${speakerYear}): ${YOUNGER_YEARS} or more → Em`,
    );
  } else {
    form = 'peer';
    reasons.push(`born ${year}, within the speaker's generation (${speakerYear}) → Anh/Chị`);
  }
  reasons.push(...g.reasons);

  const gender = g.gender;
  let sal: Salutation;
  if (form === 'younger') sal = 'Em';
  else if (form === 'elder') sal = gender === 'male' ? 'Ông' : gender === 'female' ? 'Bà' : 'Ông/Bà';
  else sal = gender === 'male' ? 'Anh' : gender === 'female' ? 'Chị' : 'Anh/Chị';

  const ageFactor = year === null ? 0.85 : speakerYear === null && form !== 'elder' ? 0.95 : 1;
  const genderFactor = form === 'younger' ? 1 : g.confidence;
  const confidence = Math.round(genderFactor * ageFactor * 100) / 100;

  const override = input.callName ? tokens(input.callName).map(normalizeToken).join(' ') : '';
  const callName = override !== '' ? override : (name?.callName ?? '');
  const display = callName === '' ? NEUTRAL_NAME : `${sal} ${callName}`;
  const formalTitle = gender === 'male' ? 'Ông' : gender === 'female' ? 'Bà' : 'Ông/Bà';
  const formal = name === null ? `Kính gửi ${NEUTRAL_NAME}` : `Kính gửi ${formalTitle} ${name.full}`;

  return {
    salutation: sal,
    code: SALUTATION_CODES[sal],
    callName,
    gender,
    confidence,
    reasons,
    display,
    formal,
    birthYear: year,
    age,
    name,
  };
}

function plausibleYear(
  value: number | null | undefined,
  thisYear: number,
  label: string,
  reasons: string[],
): number | null {
  if (value === undefined || value === null) return null;
  if (Number.isInteger(value) && value >= 1900 && value <= thisYear) return value;
  reasons.push(`${label} ${value} is not plausible: ignored`);
  return null;
}
