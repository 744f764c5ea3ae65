/**
 * Vietnamese tax codes (mã số thuế, MST): normalization and offline validity checks. Pure functions, no I/O;
 * whether a valid-looking code is actually registered is the registry's business (mst.registry.ts).
 *
 * Three shapes are in use:
 * - enterprise: 10 digits `N1..N10`, N10 a mod-11 check digit over N1..N9;
 * - branch / dependent unit: the parent's 10 digits + a 3-digit unit number (`0100109106-001`);
 * - personal: since 1 July 2025 (Circular 86/2024/TT-BTC) the 12-digit personal identification number
 *   (số định danh cá nhân, the CCCD number) is the tax code of individuals and household businesses. It has
 *   no check digit, so only its structure can be checked: a 3-digit province code, a century/gender digit
 *   and a 2-digit birth year.
 *
 * Ten-digit codes starting with 8 are the personal income-tax codes issued before 2025; they carry the same
 * check digit and are reported as `enterprise` (the kind describes the shape, not the taxpayer).
 */

export type MstKind = 'enterprise' | 'branch' | 'personal';

/** Stable reason codes (they double as the platform error codes in platform/errors.ts). */
export type MstReason =
  | 'mst_format_invalid'
  | 'mst_checksum_invalid'
  | 'mst_sequence_invalid'
  | 'mst_branch_invalid'
  | 'mst_personal_invalid';

export type MstCheck =
  | {
      valid: true;
      /** Digits only: 10, 13 or 12 of them. The form to store and to look up. */
      normalized: string;
      /** The conventional written form: `0100109106`, `0100109106-001`, `001203012345`. */
      display: string;
      kind: MstKind;
      /** Branches only: the parent enterprise's 10-digit code. */
      parent?: string;
      /** Branches only: the 3-digit unit number. */
      branch?: string;
    }
  | {
      valid: false;
      /** The input after normalizeMst (may still contain junk: it is what was checked). */
      normalized: string;
      /** The shape the input has by its digit count, when it is all digits of a known length. */
      kind: MstKind | null;
      reason: MstReason;
      /** For people, in English. */
      message: string;
    };

export interface MstCheckOptions {
  /** The clock for the personal code's birth-year plausibility check; defaults to the current time. */
  now?: Date;
}

/** Weights of N1..N9 in the check-digit sum (GDT's published rule). */
const WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3] as const;

/**
 * Province codes of personal identification numbers (Circular 59/2021/TT-BCA, the 63 pre-2025 provinces).
 * Numbers already issued keep these codes after the 2025 merger, and the 34 merged provinces kept the code of
 * one of their predecessors, so this set covers both old and new numbers. Names are the pre-2025 provinces.
 */
export const CCCD_PROVINCE_CODES: ReadonlyMap<string, string> = new Map([
  ['001', 'Hà Nội'],
  ['002', 'Hà Giang'],
  ['004', 'Cao Bằng'],
  ['006', 'Bắc Kạn'],
  ['008', 'Tuyên Quang'],
  ['010', 'Lào Cai'],
  ['011', 'Điện Biên'],
  ['012', 'Lai Châu'],
  ['014', 'Sơn La'],
  ['015', 'Yên Bái'],
  ['017', 'Hòa Bình'],
  ['019', 'Thái Nguyên'],
  ['020', 'Lạng Sơn'],
  ['022', 'Quảng Ninh'],
  ['024', 'Bắc Giang'],
  ['025', 'Phú Thọ'],
  ['026', 'Vĩnh Phúc'],
  ['027', 'Bắc Ninh'],
  ['030', 'Hải Dương'],
  ['031', 'Hải Phòng'],
  ['033', 'Hưng Yên'],
  ['034', 'Thái Bình'],
  ['035', 'Hà Nam'],
  ['036', 'Nam Định'],
  ['037', 'Ninh Bình'],
  ['038', 'Thanh Hóa'],
  ['040', 'Nghệ An'],
  ['042', 'Hà Tĩnh'],
  ['044', 'Quảng Bình'],
  ['045', 'Quảng Trị'],
  ['046', 'Thừa Thiên Huế'],
  ['048', 'Đà Nẵng'],
  ['049', 'Quảng Nam'],
  ['051', 'Quảng Ngãi'],
  ['052', 'Bình Định'],
  ['054', 'Phú Yên'],
  ['056', 'Khánh Hòa'],
  ['058', 'Ninh Thuận'],
  ['060', 'Bình Thuận'],
  ['062', 'Kon Tum'],
  ['064', 'Gia Lai'],
  ['066', 'Đắk Lắk'],
  ['067', 'Đắk Nông'],
  ['068', 'Lâm Đồng'],
  ['070', 'Bình Phước'],
  ['072', 'Tây Ninh'],
  ['074', 'Bình Dương'],
  ['075', 'Đồng Nai'],
  ['077', 'Bà Rịa - Vũng Tàu'],
  ['079', 'Hồ Chí Minh'],
  ['080', 'Long An'],
  ['082', 'Tiền Giang'],
  ['083', 'Bến Tre'],
  ['084', 'Trà Vinh'],
  ['086', 'Vĩnh Long'],
  ['087', 'Đồng Tháp'],
  ['089', 'An Giang'],
  ['091', 'Kiên Giang'],
  ['092', 'Cần Thơ'],
  ['093', 'Hậu Giang'],
  ['094', 'Sóc Trăng'],
  ['095', 'Bạc Liêu'],
  ['096', 'Cà Mau'],
]);

/**
 * Separators people and documents put inside tax codes: any Unicode whitespace (including no-break spaces
 * from copied PDFs), dots, underscores, the ASCII hyphen and the Unicode dashes and minus that word
 * processors substitute for it.
 */
const SEPARATORS = /[\s._\-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/gu;

/**
 * The canonical text of a tax code as typed: NFC, trimmed, with separators removed. Never fails and never
 * decides validity (non-digit characters other than separators are kept so checkMst can reject them).
 * Idempotent.
 */
export function normalizeMst(raw: string): string {
  return raw.normalize('NFC').trim().replace(SEPARATORS, '');
}

/**
 * The check digit N10 for the first nine digits of a tax code: `10 − (Σ wᵢ·Nᵢ mod 11)`, or null when the
 * remainder is 0 (no digit fits; GDT never issues such numbers).
 * @throws RangeError when `first9` is not exactly nine ASCII digits (a programming error, not user input).
 */
export function mstCheckDigit(first9: string): number | null {
  if (!/^[0-9]{9}$/.test(first9)) throw new RangeError('mstCheckDigit expects exactly 9 digits');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (WEIGHTS[i] ?? 0) * (first9.charCodeAt(i) - 48);
  const r = sum % 11;
  return r === 0 ? null : 10 - r;
}

function kindByLength(digits: string): MstKind | null {
  switch (digits.length) {
    case 10:
      return 'enterprise';
    case 13:
      return 'branch';
    case 12:
      return 'personal';
    default:
      return null;
  }
}

function invalid(normalized: string, kind: MstKind | null, reason: MstReason, message: string): MstCheck {
  return { valid: false, normalized, kind, reason, message };
}

/** The ten-digit part shared by enterprises and branches; null when it is fine. */
function checkTenDigits(normalized: string, ten: string, kind: MstKind): MstCheck | null {
  if (/^0{7}$/.test(ten.slice(2, 9))) {
    return invalid(
      normalized,
      kind,
      'mst_sequence_invalid',
      'This tax code cannot exist: its 3rd to 9th digits (the sequence number) are all zero.',
    );
  }
  const expected = mstCheckDigit(ten.slice(0, 9));
  if (expected === null) {
    return invalid(
      normalized,
      kind,
      'mst_checksum_invalid',
      `This tax code cannot exist: no check digit is valid after ${ten.slice(0, 9)}. Please check it for a typing error.`,
    );
  }
  if (expected !== Number(ten[9])) {
    return invalid(
      normalized,
      kind,
      'mst_checksum_invalid',
      `The check digit (10th digit) of this tax code is wrong. Please check it for a typing error.`,
    );
  }
  return null;
}

function checkPersonal(digits: string, now: Date): MstCheck {
  const province = digits.slice(0, 3);
  if (!CCCD_PROVINCE_CODES.has(province)) {
    return invalid(
      digits,
      'personal',
      'mst_personal_invalid',
      `This 12-digit personal identification number starts with ${province}, which is not a province code.`,
    );
  }
  // 4th digit: century and gender (0/1 = born 1900–1999, 2/3 = 2000–2099, male/female). Higher values are
  // reserved for later centuries, so nobody alive holds one yet.
  const centuryDigit = Number(digits[3]);
  if (centuryDigit > 3) {
    return invalid(
      digits,
      'personal',
      'mst_personal_invalid',
      `The 4th digit (${centuryDigit}) of this personal identification number does not encode a birth century in use (0–3).`,
    );
  }
  const birthYear = 1900 + Math.floor(centuryDigit / 2) * 100 + Number(digits.slice(4, 6));
  // The year in Vietnam (UTC+7, no daylight saving), where the number was issued.
  const currentYear = new Date(now.getTime() + 7 * 3_600_000).getUTCFullYear();
  if (birthYear > currentYear) {
    return invalid(
      digits,
      'personal',
      'mst_personal_invalid',
      `This personal identification number encodes the birth year ${birthYear}, which is in the future.`,
    );
  }
  return { valid: true, normalized: digits, display: digits, kind: 'personal' };
}

/**
 * Checks a tax code as typed (any separators, see normalizeMst). Order of checks: shape (digits and length),
 * then for 10/13 digits the all-zero sequence, the check digit and the branch number, for 12 digits the
 * personal identification number's structure. The first failure is reported.
 */
export function checkMst(raw: string, options: MstCheckOptions = {}): MstCheck {
  const normalized = normalizeMst(raw);
  if (normalized === '') {
    return invalid(normalized, null, 'mst_format_invalid', 'Enter a tax code (MST).');
  }
  if (!/^[0-9]+$/.test(normalized)) {
    return invalid(
      normalized,
      null,
      'mst_format_invalid',
      'A tax code may contain only digits (spaces, dots and a dash between groups are ignored).',
    );
  }
  const kind = kindByLength(normalized);
  if (kind === null) {
    return invalid(
      normalized,
      null,
      'mst_format_invalid',
      `A tax code has 10 digits, 13 for a branch (written 0100109106-001) or 12 for a personal identification number; this one has ${normalized.length}.`,
    );
  }
  if (kind === 'personal') return checkPersonal(normalized, options.now ?? new Date());

  const ten = normalized.slice(0, 10);
  const failure = checkTenDigits(normalized, ten, kind);
  if (failure) return failure;
  if (kind === 'enterprise') return { valid: true, normalized, display: normalized, kind };

  const branch = normalized.slice(10);
  if (branch === '000') {
    return invalid(
      normalized,
      kind,
      'mst_branch_invalid',
      'Branch number 000 is not valid: dependent units are numbered from 001.',
    );
  }
  return { valid: true, normalized, display: `${ten}-${branch}`, kind, parent: ten, branch };
}
