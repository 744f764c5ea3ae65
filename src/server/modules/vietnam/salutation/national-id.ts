/**
 * The 12-digit personal identification number (số định danh cá nhân, printed on the CCCD card and the
 * tax code of individuals since 1 July 2025). Layout (Circular 07/2016/TT-BCA, later 59/2021):
 *   digits 1–3  province of birth registration (the pre-2025 63-province codes)
 *   digit 4     century and gender: 0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s, 6/7 → 2200s, 8/9 → 2300s;
 *               even = male, odd = female
 *   digits 5–6  last two digits of the birth year
 *   digits 7–12 a random sequence (no check digit exists, so only the structure can be validated)
 */

/** Province codes of the 63 provinces that issue the number (Decision 124/2004/QĐ-TTg codes). */
export const NATIONAL_ID_PROVINCES: Readonly<Record<string, string>> = {
  '001': 'Hà Nội',
  '002': 'Hà Giang',
  '004': 'Cao Bằng',
  '006': 'Bắc Kạn',
  '008': 'Tuyên Quang',
  '010': 'Lào Cai',
  '011': 'Điện Biên',
  '012': 'Lai Châu',
  '014': 'Sơn La',
  '015': 'Yên Bái',
  '017': 'Hòa Bình',
  '019': 'Thái Nguyên',
  '020': 'Lạng Sơn',
  '022': 'Quảng Ninh',
  '024': 'Bắc Giang',
  '025': 'Phú Thọ',
  '026': 'Vĩnh Phúc',
  '027': 'Bắc Ninh',
  '030': 'Hải Dương',
  '031': 'Hải Phòng',
  '033': 'Hưng Yên',
  '034': 'Thái Bình',
  '035': 'Hà Nam',
  '036': 'Nam Định',
  '037': 'Ninh Bình',
  '038': 'Thanh Hóa',
  '040': 'Nghệ An',
  '042': 'Hà Tĩnh',
  '044': 'Quảng Bình',
  '045': 'Quảng Trị',
  '046': 'Thừa Thiên Huế',
  '048': 'Đà Nẵng',
  '049': 'Quảng Nam',
  '051': 'Quảng Ngãi',
  '052': 'Bình Định',
  '054': 'Phú Yên',
  '056': 'Khánh Hòa',
  '058': 'Ninh Thuận',
  '060': 'Bình Thuận',
  '062': 'Kon Tum',
  '064': 'Gia Lai',
  '066': 'Đắk Lắk',
  '067': 'Đắk Nông',
  '068': 'Lâm Đồng',
  '070': 'Bình Phước',
  '072': 'Tây Ninh',
  '074': 'Bình Dương',
  '075': 'Đồng Nai',
  '077': 'Bà Rịa - Vũng Tàu',
  '079': 'Hồ Chí Minh',
  '080': 'Long An',
  '082': 'Tiền Giang',
  '083': 'Bến Tre',
  '084': 'Trà Vinh',
  '086': 'Vĩnh Long',
  '087': 'Đồng Tháp',
  '089': 'An Giang',
  '091': 'Kiên Giang',
  '092': 'Cần Thơ',
  '093': 'Hậu Giang',
  '094': 'Sóc Trăng',
  '095': 'Bạc Liêu',
  '096': 'Cà Mau',
};

/** The calendar year in Vietnam (UTC+7 all year, no daylight saving) at an instant. */
export function yearInVietnam(at: Date): number {
  return new Date(at.getTime() + 7 * 3_600_000).getUTCFullYear();
}

export interface NationalIdInfo {
  /** The 12 digits without separators. */
  id: string;
  provinceCode: string;
  provinceName: string;
  gender: 'male' | 'female';
  birthYear: number;
}

export interface ParseNationalIdOptions {
  /** Birth years after this date's year are impossible, so such numbers are rejected. Default: now. */
  today?: Date;
}

/**
 * Reads province, gender and birth year from a 12-digit personal identification number. Spaces, dots
 * and dashes are accepted as separators ("001 089 012 345"). Returns null when the input is not 12
 * digits, the province code is not one that issues numbers, or the birth year lies in the future.
 */
export function parseNationalId(id: string, options: ParseNationalIdOptions = {}): NationalIdInfo | null {
  if (typeof id !== 'string') return null;
  const digits = id.trim().replace(/[\s.-]/g, '');
  if (!/^\d{12}$/.test(digits)) return null;
  const provinceCode = digits.slice(0, 3);
  const provinceName = NATIONAL_ID_PROVINCES[provinceCode];
  if (provinceName === undefined) return null;
  const centuryDigit = Number(digits[3]);
  const birthYear = 1900 + Math.floor(centuryDigit / 2) * 100 + Number(digits.slice(4, 6));
  const thisYear = yearInVietnam(options.today ?? new Date());
  if (birthYear > thisYear) return null;
  return {
    id: digits,
    provinceCode,
    provinceName,
    gender: centuryDigit % 2 === 0 ? 'male' : 'female',
    birthYear,
  };
}
