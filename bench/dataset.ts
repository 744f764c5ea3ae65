/**
 * The benchmark's synthetic but realistic Vietnamese company data, and the search terms run against it.
 *
 * Names follow the shape of real registrations ("Công ty TNHH Thương mại Dịch vụ Phát Đạt Sài Gòn"):
 * legal prefix, one or two industry words, a brand (two auspicious syllables, or a family name and a
 * syllable), sometimes a city. Family names follow their real frequency (Nguyễn ≈ 38%), so a search for
 * "nguyen" is as unselective as it is in a real Vietnamese CRM. Weighted lists are expanded into plain
 * arrays (an entry repeated `weight` times) so the SQL picks with one `random()` per column.
 */

export interface Weighted<T> {
  value: T;
  weight: number;
}

/** Expands a weighted list into an array where each value appears `weight` times. */
export function expand<T>(list: ReadonlyArray<Weighted<T>>): T[] {
  const out: T[] = [];
  for (const { value, weight } of list) for (let i = 0; i < weight; i++) out.push(value);
  return out;
}

/** Lower-case ASCII with Vietnamese diacritics (and đ) removed: the slug used in domains. */
export function slugOf(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

export const LEGAL_FORMS: ReadonlyArray<Weighted<{ prefix: string; legalType: string }>> = [
  { value: { prefix: 'Công ty TNHH', legalType: 'llc' }, weight: 40 },
  { value: { prefix: 'Công ty TNHH MTV', legalType: 'llc' }, weight: 8 },
  { value: { prefix: 'Công ty Cổ phần', legalType: 'jsc' }, weight: 28 },
  { value: { prefix: 'Doanh nghiệp tư nhân', legalType: 'sole_proprietor' }, weight: 5 },
  { value: { prefix: 'Hộ kinh doanh', legalType: 'sole_proprietor' }, weight: 8 },
  { value: { prefix: 'Tập đoàn', legalType: 'jsc' }, weight: 2 },
  { value: { prefix: 'Chi nhánh Công ty TNHH', legalType: 'fdi' }, weight: 4 },
  { value: { prefix: 'Hợp tác xã', legalType: 'other' }, weight: 3 },
  { value: { prefix: 'Văn phòng đại diện', legalType: 'fdi' }, weight: 2 },
];

/** Industry words as they appear in names, with the `industry` column value. Weights in per-mille-ish. */
export const INDUSTRIES: ReadonlyArray<Weighted<{ words: string; industry: string }>> = [
  { value: { words: 'Thương mại', industry: 'Retail' }, weight: 90 },
  { value: { words: 'Thương mại Dịch vụ', industry: 'Retail' }, weight: 70 },
  { value: { words: 'Dịch vụ', industry: 'Services' }, weight: 50 },
  { value: { words: 'Xây dựng', industry: 'Construction' }, weight: 55 },
  { value: { words: 'Đầu tư', industry: 'Investment' }, weight: 35 },
  { value: { words: 'Đầu tư và Phát triển', industry: 'Investment' }, weight: 15 },
  { value: { words: 'Sản xuất', industry: 'Manufacturing' }, weight: 40 },
  { value: { words: 'Sản xuất và Thương mại', industry: 'Manufacturing' }, weight: 25 },
  { value: { words: 'Phần mềm', industry: 'Software' }, weight: 20 },
  { value: { words: 'Công nghệ', industry: 'Technology' }, weight: 30 },
  { value: { words: 'Giải pháp Công nghệ', industry: 'Technology' }, weight: 10 },
  { value: { words: 'Vận tải', industry: 'Logistics' }, weight: 25 },
  { value: { words: 'Logistics', industry: 'Logistics' }, weight: 15 },
  { value: { words: 'Thực phẩm', industry: 'Food & beverage' }, weight: 30 },
  { value: { words: 'Dược phẩm', industry: 'Pharmaceuticals' }, weight: 15 },
  { value: { words: 'Thiết bị Y tế', industry: 'Healthcare' }, weight: 12 },
  { value: { words: 'Du lịch', industry: 'Tourism' }, weight: 15 },
  { value: { words: 'Bất động sản', industry: 'Real estate' }, weight: 25 },
  { value: { words: 'May mặc', industry: 'Fashion' }, weight: 15 },
  { value: { words: 'Nông sản', industry: 'Agriculture' }, weight: 15 },
  { value: { words: 'Thủy sản', industry: 'Agriculture' }, weight: 12 },
  { value: { words: 'Điện tử', industry: 'Electronics' }, weight: 15 },
  { value: { words: 'Cơ khí', industry: 'Manufacturing' }, weight: 15 },
  { value: { words: 'Năng lượng', industry: 'Energy' }, weight: 10 },
  { value: { words: 'Giáo dục', industry: 'Education' }, weight: 12 },
  { value: { words: 'Nội thất', industry: 'Furniture' }, weight: 15 },
  { value: { words: 'Quảng cáo', industry: 'Marketing' }, weight: 12 },
  { value: { words: 'Tư vấn', industry: 'Consulting' }, weight: 20 },
  { value: { words: 'Xuất nhập khẩu', industry: 'Trading' }, weight: 30 },
  { value: { words: 'Vật liệu Xây dựng', industry: 'Construction' }, weight: 15 },
  { value: { words: 'In ấn', industry: 'Printing' }, weight: 8 },
  { value: { words: 'Bao bì', industry: 'Packaging' }, weight: 8 },
  { value: { words: 'Hóa chất', industry: 'Chemicals' }, weight: 6 },
  { value: { words: 'Kỹ thuật', industry: 'Engineering' }, weight: 15 },
  // Rare on purpose: the "rare word" search term hits about 0.1% of accounts.
  { value: { words: 'Chế biến Hạt điều', industry: 'Agriculture' }, weight: 1 },
];

/** Vietnamese family names at roughly their national frequency (per mille). */
export const FAMILY_NAMES: ReadonlyArray<Weighted<string>> = [
  { value: 'Nguyễn', weight: 380 },
  { value: 'Trần', weight: 110 },
  { value: 'Lê', weight: 95 },
  { value: 'Phạm', weight: 70 },
  { value: 'Hoàng', weight: 30 },
  { value: 'Huỳnh', weight: 21 },
  { value: 'Phan', weight: 45 },
  { value: 'Vũ', weight: 20 },
  { value: 'Võ', weight: 19 },
  { value: 'Đặng', weight: 21 },
  { value: 'Bùi', weight: 20 },
  { value: 'Đỗ', weight: 14 },
  { value: 'Hồ', weight: 13 },
  { value: 'Ngô', weight: 13 },
  { value: 'Dương', weight: 10 },
  { value: 'Lý', weight: 5 },
];

/** Brand syllables: two of these ("Phát Đạt", "Hưng Thịnh") or a family name and one ("Nguyễn Gia"). */
export const BRAND_FIRST = [
  'Thành',
  'Phát',
  'Hưng',
  'An',
  'Minh',
  'Hoàng',
  'Đại',
  'Tân',
  'Việt',
  'Sao',
  'Bình',
  'Phú',
  'Hòa',
  'Thịnh',
  'Kim',
  'Đông',
  'Nam',
  'Toàn',
  'Ánh',
  'Hướng',
  'Trường',
  'Thiên',
  'Phương',
  'Đức',
  'Hải',
  'Ngọc',
  'Quang',
  'Tiến',
  'Vạn',
  'Hồng',
  'Long',
  'Gia',
  'Trung',
  'Bảo',
  'Khánh',
  'Thái',
  'Lộc',
  'Tài',
  'Sơn',
  'Nhật',
] as const;

export const BRAND_SECOND = [
  'Công',
  'Đạt',
  'Thịnh',
  'Phú',
  'Long',
  'Gia',
  'Phát',
  'Tiến',
  'Mai',
  'Minh',
  'Thái',
  'Bình',
  'Vượng',
  'Á',
  'Việt',
  'Cầu',
  'Dương',
  'Thành',
  'Nam',
  'Âu',
  'Lan',
  'Xuân',
  'Hà',
  'Lợi',
  'Khang',
  'Hưng',
  'Phong',
  'Nguyên',
  'Tín',
  'Anh',
  'Hải',
  'Quang',
  'Sơn',
  'Trí',
  'Tâm',
  'Đức',
  'Lộc',
  'Vinh',
  'Hòa',
  'Kim',
] as const;

export const CITIES: ReadonlyArray<{ name: string; province: string }> = [
  { name: 'Sài Gòn', province: 'Thành phố Hồ Chí Minh' },
  { name: 'Hà Nội', province: 'Thành phố Hà Nội' },
  { name: 'Đà Nẵng', province: 'Thành phố Đà Nẵng' },
  { name: 'Hải Phòng', province: 'Thành phố Hải Phòng' },
  { name: 'Cần Thơ', province: 'Thành phố Cần Thơ' },
  { name: 'Bình Dương', province: 'Thành phố Hồ Chí Minh' },
  { name: 'Đồng Nai', province: 'Tỉnh Đồng Nai' },
  { name: 'Nha Trang', province: 'Tỉnh Khánh Hòa' },
  { name: 'Huế', province: 'Thành phố Huế' },
  { name: 'Vũng Tàu', province: 'Thành phố Hồ Chí Minh' },
  { name: 'Quảng Ninh', province: 'Tỉnh Quảng Ninh' },
  { name: 'Long An', province: 'Tỉnh Tây Ninh' },
  { name: 'Bắc Ninh', province: 'Tỉnh Bắc Ninh' },
  { name: 'Miền Tây', province: 'Thành phố Cần Thơ' },
  { name: 'Việt Nam', province: 'Thành phố Hà Nội' },
];

export const STREETS = [
  'Nguyễn Huệ',
  'Lê Lợi',
  'Trần Hưng Đạo',
  'Hai Bà Trưng',
  'Điện Biên Phủ',
  'Cách Mạng Tháng Tám',
  'Lý Thường Kiệt',
  'Phạm Văn Đồng',
  'Võ Văn Kiệt',
  'Nguyễn Văn Linh',
  'Hoàng Quốc Việt',
  'Xuân Thủy',
] as const;

/** Domain suffixes of the brand slug ("thanhcong" + "-pharma" + ".vn"). */
export const DOMAIN_SUFFIXES: ReadonlyArray<Weighted<string>> = [
  { value: '', weight: 60 },
  { value: '-group', weight: 8 },
  { value: '-tech', weight: 6 },
  { value: '-jsc', weight: 6 },
  { value: '-corp', weight: 5 },
  { value: '-vn', weight: 5 },
  { value: '-logistics', weight: 3 },
  { value: '-food', weight: 3 },
  { value: '-pharma', weight: 2 },
  { value: '-invest', weight: 2 },
];

export const TLDS: ReadonlyArray<Weighted<string>> = [
  { value: '.vn', weight: 50 },
  { value: '.com.vn', weight: 35 },
  { value: '.com', weight: 15 },
];

export const LIFECYCLES: ReadonlyArray<Weighted<string>> = [
  { value: 'lead', weight: 25 },
  { value: 'prospect', weight: 35 },
  { value: 'customer', weight: 25 },
  { value: 'partner', weight: 5 },
  { value: 'former_customer', weight: 8 },
  { value: 'other', weight: 2 },
];

export const SIZES = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001+'] as const;
export const LEAD_SOURCES = ['website', 'referral', 'event', 'cold_call', 'partner', 'zalo', 'facebook'];
/** First two digits of an MST: the issuing province's code. */
export const MST_PREFIXES = ['01', '02', '03', '04', '08', '10', '18', '31', '36', '37', '40', '48'];

export interface SearchTerm {
  term: string;
  kind: string;
}

/**
 * What people type in the account search box, cycled in this order. Each kind stresses the search
 * differently: many matches (sort cost), AND of two tokens, diacritics, domain-only, few matches, a query
 * too short for trigrams, a digits prefix, and nothing at all.
 */
export const SEARCH_TERMS: readonly SearchTerm[] = [
  { term: 'nguyen', kind: 'common family name (~15% of accounts: Nguyễn, Nguyên)' },
  { term: 'thanh cong', kind: 'two partial company words' },
  { term: 'Hưng Thịnh', kind: 'brand typed with diacritics' },
  { term: 'saomai', kind: 'domain fragment (matches domains/website only)' },
  { term: 'hat dieu', kind: 'rare words (~0.1% of accounts)' },
  { term: 'ha', kind: '2-letter query (no trigram)' },
  { term: '0312', kind: 'MST (tax code) prefix' },
  { term: 'qwxz', kind: 'no match' },
];

export interface SeedSizes {
  /** Accounts in the measured workspace. */
  big: number;
  /** Other workspaces and how many accounts each holds. */
  others: number;
  perOther: number;
}

export const FULL_SIZES: SeedSizes = { big: 100_000, others: 9, perOther: 100_000 };
export const QUICK_SIZES: SeedSizes = { big: 10_000, others: 9, perOther: 10_000 };
export const PGLITE_SIZES: SeedSizes = { big: 100_000, others: 0, perOther: 0 };
export const PGLITE_QUICK_SIZES: SeedSizes = { big: 10_000, others: 0, perOther: 0 };

/** The bench's workspaces are found again by slug; index 0 is the measured one. */
export const workspaceSlug = (i: number): string => `bench-${String(i).padStart(2, '0')}`;
export const adminEmail = (i: number): string => `bench-admin-${String(i).padStart(2, '0')}@bench.local`;
/** Known on purpose: the bench logs in through the real endpoint. Only ever used on a bench database. */
export const BENCH_PASSWORD = 'bench-password-not-a-secret';
