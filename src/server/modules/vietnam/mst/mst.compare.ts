/**
 * Is the company name a user entered the same as the tax registry's canonical one?
 *
 * The rule: two names are the same when they spell the same words with the same letters and the same
 * Vietnamese diacritics, whatever the typography. "Same" ignores:
 * - case ("CÔNG TY TNHH" = "Công ty TNHH": the registry shouts, people do not);
 * - whitespace and punctuation: every run of characters that are not letters, digits or combining marks
 *   separates words and counts as one space ("Viễn thông - Quân đội" = "Viễn thông Quân đội"); apostrophes
 *   are dropped inside words;
 * - Unicode form (NFC vs NFD) and the two capital Đ look-alikes in circulation (U+0110 and U+00D0);
 * - tone-mark placement, old style vs new style ("Hoà" = "Hòa", "Thuỷ" = "Thủy", "Qúy" = "Quý"): a syllable
 *   carries one tone, so the tone is compared per word and not by the letter it sits on;
 * - the written-out vs abbreviated legal form ("Cty", "CTCP", "CP", "TNHH", "MTV", "TMCP", "DNTN", "HTX"),
 *   which people abbreviate and the registry spells out.
 *
 * Everything else is a difference worth telling the user about, in particular any difference in
 * diacritics: "Hòa" ≠ "Hóa" ≠ "Hoa" and "Đông" ≠ "Dong" are different words in Vietnamese, so a name that
 * matches only after folding diacritics is not the registered name.
 */

/** The Đ look-alikes found in real data, mapped to the Vietnamese letter. */
const D_VARIANTS: Record<string, string> = {
  '\u00d0': '\u0110', // Ð (Icelandic eth, capital) → Đ
  '\u00f0': '\u0111', // ð → đ
  '\u0189': '\u0110', // Ɖ (African D) → Đ
  '\u0256': '\u0111', // ɖ → đ
};

/** The five Vietnamese tone marks as combining characters (NFD): huyền, sắc, ngã, hỏi, nặng. */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/gu;

/** Legal-form abbreviations → their written-out words (lower case, NFC). */
const LEGAL_FORMS: Record<string, string> = {
  cty: 'công ty',
  ctcp: 'công ty cổ phần',
  cp: 'cổ phần',
  tnhh: 'trách nhiệm hữu hạn',
  mtv: 'một thành viên',
  tmcp: 'thương mại cổ phần',
  dntn: 'doanh nghiệp tư nhân',
  htx: 'hợp tác xã',
};

const APOSTROPHES = /['\u2019\u02bc]/gu;
const SEPARATORS = /[^\p{L}\p{N}\p{M}]+/u;

/** A word with its tone moved to the end, so where the tone sat no longer matters. */
function toneNeutral(word: string): string {
  const decomposed = word.normalize('NFD');
  const tones = decomposed.match(TONE_MARKS)?.join('') ?? '';
  return decomposed.replace(TONE_MARKS, '').normalize('NFC') + tones;
}

/**
 * The comparison key of a company name: two names are the same (see the rule above) exactly when their
 * keys are equal. Words are separated by single spaces; each word is lower case, NFC, with its tone mark
 * (if any) moved after its letters as a combining character. Not for display.
 */
export function companyNameKey(name: string): string {
  const text = name
    .normalize('NFC')
    .replace(/[\u00d0\u00f0\u0189\u0256]/gu, (c) => D_VARIANTS[c] ?? c)
    .toLowerCase()
    .replace(APOSTROPHES, '');
  return text
    .split(SEPARATORS)
    .filter((w) => w !== '')
    .flatMap((w) => (LEGAL_FORMS[w] ?? w).split(' '))
    .map(toneNeutral)
    .join(' ');
}

/**
 * True when `a` and `b` name the company the same way up to typography (see the rule above); false when
 * the difference is one a user should be told about.
 */
export function sameCompanyName(a: string, b: string): boolean {
  return companyNameKey(a) === companyNameKey(b);
}
