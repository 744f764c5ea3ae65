/**
 * Vietnamese text normalization for names: one spelling per syllable so that lookups and comparisons do
 * not depend on the keyboard, the font or the database the name came from.
 *
 * Written by hand: no maintained npm package normalizes tone placement, and the rule is short.
 */

/** The five tone marks as combining characters (huyền, sắc, ngã, hỏi, nặng). */
const TONE_MARKS = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);
const VOWELS = new Set(['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y']);
/** Vowels that carry a shape mark (breve, circumflex, horn): the tone goes on them when present. */
const SHAPED_VOWELS = new Set(['ă', 'â', 'ê', 'ô', 'ơ', 'ư']);
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g;

/**
 * NFC plus the code-point fixes real data needs: the Icelandic capital eth (U+00D0) looks exactly like
 * the Vietnamese capital Đ (U+0110) and is what some legacy encodings and fonts produce, so both it and
 * its lower case (U+00F0) become the Vietnamese letters. Invisible characters are dropped.
 */
export function nfcVietnamese(text: string): string {
  return text
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(/\u00D0/g, '\u0110')
    .replace(/\u00F0/g, '\u0111');
}

/**
 * Puts the tone mark of one lower-case syllable where the traditional ("old style") rule puts it, the
 * spelling of most identity documents: "hoà" → "hòa", "thuỷ" → "thủy", "qúy" → "quý", "hoàng" stays.
 * Rule: a shaped vowel takes the tone (the last one in "ươ"); else the middle of three vowels; else, of
 * two, the second when a final consonant follows and the first otherwise. "qu" and "gi" before a vowel
 * are consonants. Syllables that are not Vietnamese (two tones, no vowel, long vowel runs) come back NFC.
 */
export function placeTone(syllable: string): string {
  const decomposed = syllable.normalize('NFD');
  const tones = [...decomposed].filter((c) => TONE_MARKS.has(c));
  if (tones.length !== 1) return syllable.normalize('NFC');
  const tone = tones[0] as string;
  const base = [
    ...[...decomposed]
      .filter((c) => !TONE_MARKS.has(c))
      .join('')
      .normalize('NFC'),
  ];
  let start = base.findIndex((c) => VOWELS.has(c));
  if (start < 0) return syllable.normalize('NFC');
  const next = base[start + 1];
  const isOnset =
    next !== undefined &&
    VOWELS.has(next) &&
    ((base[start] === 'u' && base[start - 1] === 'q') || (base[start] === 'i' && base[start - 1] === 'g'));
  if (isOnset) start += 1;
  let end = start;
  while (end < base.length && VOWELS.has(base[end] as string)) end += 1;
  const nucleus = base.slice(start, end);
  const hasFinal = end < base.length;
  let at: number;
  const shaped = nucleus.map((c, i) => (SHAPED_VOWELS.has(c) ? i : -1)).filter((i) => i >= 0);
  if (shaped.length > 0) at = shaped[shaped.length - 1] as number;
  else if (nucleus.length === 3) at = 1;
  else if (nucleus.length === 2) at = hasFinal ? 1 : 0;
  else if (nucleus.length === 1) at = 0;
  else return syllable.normalize('NFC');
  const index = start + at;
  return [...base.slice(0, index + 1), tone, ...base.slice(index + 1)].join('').normalize('NFC');
}

/** Upper-cases the first letter of each part of a syllable ("h'hen" → "H'Hen", "k'sor" → "K'Sor"). */
export function titleCaseSyllable(syllable: string): string {
  return syllable
    .toLowerCase()
    .replace(/(^|[-'’])(\p{L})/gu, (_m, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** One name token as stored and compared: NFC, Đ fixed, tone placed, title case. */
export function normalizeToken(token: string): string {
  return titleCaseSyllable(
    nfcVietnamese(token)
      .toLowerCase()
      .split(/([-'’])/)
      .map((part) => placeTone(part))
      .join(''),
  );
}

/** Splits on any run of white space (including no-break spaces) after the code-point fixes. */
export function tokens(text: string): string[] {
  return nfcVietnamese(text)
    .split(/\s+/u)
    .filter((t) => t.length > 0);
}

/** Lower case without any diacritic, đ → d: the key a name typed without accents is looked up by. */
export function fold(text: string): string {
  return nfcVietnamese(text)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .normalize('NFC');
}

/** Lower-case normalized key that keeps the accents: the exact lookup key. */
export function accentKey(token: string): string {
  return normalizeToken(token).toLowerCase();
}

/** True when the text carries no Vietnamese letter beyond ASCII, so accents were probably dropped. */
export function isUnaccented(text: string): boolean {
  return fold(text) === nfcVietnamese(text).toLowerCase();
}
