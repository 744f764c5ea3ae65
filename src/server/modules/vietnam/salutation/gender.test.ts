import { describe, expect, it } from 'vitest';
import { inferGender, STATISTICS_THRESHOLD } from './gender.js';

const today = new Date('2026-11-21T12:00:00Z');
const MALE_ID = '079090001234'; // 4th digit 0
const FEMALE_ID = '079190001234'; // 4th digit 1

describe('inferGender precedence', () => {
  it('explicit field beats everything, and a disagreeing ID is reported', () => {
    const r = inferGender({ fullName: 'Nguyễn Thị Lan', gender: 'male', nationalId: FEMALE_ID, today });
    expect(r).toMatchObject({ gender: 'male', confidence: 1, source: 'explicit' });
    expect(r.reasons).toContain('national ID says female; the gender field wins');
  });

  it('the national ID digit beats the title and the name', () => {
    expect(inferGender({ fullName: 'Mr. Nguyễn Văn Tuấn', nationalId: FEMALE_ID, today })).toMatchObject({
      gender: 'female',
      source: 'national_id',
    });
    expect(inferGender({ fullName: 'Trần Thị Hoa', nationalId: MALE_ID, today })).toMatchObject({
      gender: 'male',
      source: 'national_id',
    });
  });

  it('an invalid ID is ignored with a reason and the next signal decides', () => {
    const r = inferGender({ fullName: 'Trần Thị Hoa', nationalId: '12345', today });
    expect(r).toMatchObject({ gender: 'female', source: 'middle_name' });
    expect(r.reasons[0]).toMatch(/not a valid/);
    expect(inferGender({ fullName: 'Trần Thị Hoa', nationalId: '   ', today }).reasons[0]).toBe(
      'middle name Thị: female',
    );
  });

  it('a gendered title beats the middle name', () => {
    expect(inferGender({ fullName: 'Ms. Nguyen Van Anh' })).toMatchObject({
      gender: 'female',
      source: 'title',
    });
    expect(inferGender({ fullName: 'Bà Lê Văn Thu' })).toMatchObject({ gender: 'female', source: 'title' });
  });

  it('Thị and Văn beat the given-name statistics', () => {
    expect(inferGender({ fullName: 'Nguyễn Thị Tuấn' })).toMatchObject({
      gender: 'female',
      source: 'middle_name',
    });
    expect(inferGender({ fullName: 'Nguyễn Văn Lan' })).toMatchObject({
      gender: 'male',
      source: 'middle_name',
    });
    expect(inferGender({ fullName: 'Lan Thi Nguyen' })).toMatchObject({
      gender: 'female',
      source: 'middle_name',
    });
    expect(inferGender({ fullName: 'nguyen thi ngoc anh' })).toMatchObject({
      gender: 'female',
      source: 'middle_name',
    });
  });

  it('an unaccented "Van" is not the Văn rule (it may be Vân): statistics decide', () => {
    expect(inferGender({ fullName: 'Nguyen Van Hung' })).toMatchObject({
      gender: 'male',
      source: 'name_statistics',
    });
    // Vân Trang / Văn Trang: the evidence cancels out, so no gender is claimed.
    expect(inferGender({ fullName: 'Tran Van Trang' })).toMatchObject({ gender: 'unknown' });
  });

  it('contradicting Thị and Văn fall through to the statistics', () => {
    const r = inferGender({ fullName: 'Lê Thị Văn Hùng' });
    expect(r.source).toBe('name_statistics');
    expect(r.reasons[0]).toMatch(/contradict/);
  });
});

describe('inferGender name statistics', () => {
  it.each([
    ['Trần Đức Anh', 'male'],
    ['Lê Phương Anh', 'female'],
    ['Phạm Ngọc Anh', 'female'],
    ['Nguyễn Tuấn Anh', 'male'],
    ['Dương Khánh Linh', 'female'],
    ['Vũ Trường Giang', 'male'],
    ['Đỗ Hương Giang', 'female'],
    ['Bùi Quang Hải', 'male'],
    ['Hoàng Bảo Ngọc', 'female'],
    ['Phan Minh Khôi', 'male'],
    ['Trần Hùng', 'male'],
    ['Lê Hằng', 'female'],
  ] as const)('%s → %s', (fullName, gender) => {
    const r = inferGender({ fullName });
    expect(r.gender).toBe(gender);
    expect(r.source).toBe('name_statistics');
    expect(r.confidence).toBeGreaterThanOrEqual(STATISTICS_THRESHOLD);
    expect(r.confidence).toBeLessThanOrEqual(0.95);
  });

  it('leaves unisex names without a decisive middle name unknown', () => {
    const r = inferGender({ fullName: 'Nguyễn Anh' });
    expect(r.gender).toBe('unknown');
    expect(r.confidence).toBeLessThan(STATISTICS_THRESHOLD);
    expect(r.reasons.at(-1)).toMatch(/gender unknown/);
    expect(inferGender({ fullName: 'Ngô Thanh Tâm' }).gender).toBe('unknown');
  });

  it('reads unaccented names through every spelling that folds alike', () => {
    const r = inferGender({ fullName: 'Lan Nguyen' });
    expect(r.gender).toBe('female');
    expect(r.reasons[0]).toMatch(/read as Lan\/Lân/);
  });

  it('says so when the name carries no signal', () => {
    expect(inferGender({ fullName: 'Nguyễn Xyz' })).toMatchObject({
      gender: 'unknown',
      confidence: 0.5,
      source: 'none',
    });
    expect(inferGender({ fullName: '' })).toMatchObject({
      gender: 'unknown',
      confidence: 0.5,
      source: 'none',
    });
  });
});
