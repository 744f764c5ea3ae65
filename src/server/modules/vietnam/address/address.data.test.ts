import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addressDataset,
  addressDatasetVersion,
  findLegacyProvince,
  findLegacyWard,
  findProvince,
  findWard,
  foldVietnamese,
  mapLegacyWard,
  wardsOf,
} from './address.data.js';

const d = addressDataset();

describe('address data integrity', () => {
  it('has the 34 provinces of 1 July 2025 with unique two-digit codes', () => {
    expect(d.provinces).toHaveLength(34);
    const codes = d.provinces.map((p) => p.code);
    expect(new Set(codes).size).toBe(34);
    for (const c of codes) expect(c).toMatch(/^\d{2}$/);
    expect(d.provinces.filter((p) => p.type === 'thanh_pho').map((p) => p.name)).toEqual([
      'Hà Nội',
      'Hải Phòng',
      'Huế',
      'Đà Nẵng',
      'Hồ Chí Minh',
      'Cần Thơ',
    ]);
  });

  it('has 3,321 commune-level units with unique five-digit codes, each in a known province', () => {
    expect(d.wards).toHaveLength(3321);
    expect(new Set(d.wards.map((w) => w.code)).size).toBe(3321);
    const provinces = new Set(d.provinces.map((p) => p.code));
    expect(d.wards.filter((w) => !/^\d{5}$/.test(w.code) || !provinces.has(w.provinceCode))).toEqual([]);
    const byType = { phuong: 0, xa: 0, dac_khu: 0 };
    for (const w of d.wards) byType[w.type]++;
    expect(byType).toEqual({ phuong: 687, xa: 2621, dac_khu: 13 });
    // Every province has units, and the per-province lists cover the whole table.
    expect(d.provinces.reduce((n, p) => n + wardsOf(p).length, 0)).toBe(3321);
    for (const p of d.provinces) expect(wardsOf(p).length).toBeGreaterThan(0);
  });

  it('maps each of the 63 legacy provinces into one existing 2025 province, and every 2025 province has one', () => {
    expect(d.legacyProvinces).toHaveLength(63);
    expect(new Set(d.legacyProvinces.map((p) => p.code)).size).toBe(63);
    const newCodes = new Set(d.provinces.map((p) => p.code));
    for (const lp of d.legacyProvinces) expect(newCodes.has(lp.newProvinceCode)).toBe(true);
    expect(new Set(d.legacyProvinces.map((p) => p.newProvinceCode))).toEqual(newCodes);
    // Spot checks of the merger (Resolution 202/2025/QH15).
    expect(findLegacyProvince('Bình Dương')?.newProvinceCode).toBe('79');
    expect(findLegacyProvince('Bà Rịa - Vũng Tàu')?.newProvinceCode).toBe('79');
    expect(findLegacyProvince('Hà Giang')?.newProvinceCode).toBe('08');
    expect(findLegacyProvince('Quảng Nam')?.newProvinceCode).toBe('48');
    expect(findLegacyProvince('Kiên Giang')?.newProvinceCode).toBe('91');
  });

  it('points every legacy ward at existing 2025 units of the province its legacy province went into', () => {
    expect(d.legacyWards.length).toBeGreaterThan(10_000);
    const legacyCodes = d.legacyWards.map((w) => w.code).filter((c): c is string => c !== null);
    expect(new Set(legacyCodes).size).toBe(legacyCodes.length);
    const wrong: string[] = [];
    for (const w of d.legacyWards) {
      const lp = findLegacyProvince(w.provinceCode);
      if (!lp || w.newWardCodes.length === 0) wrong.push(`${w.fullName}: no province or no target`);
      for (const code of w.newWardCodes) {
        const target = findWard(code);
        if (target?.provinceCode !== lp?.newProvinceCode)
          wrong.push(`${w.fullName} (${w.provinceCode}) → ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps every name NFC and the version string in the shipped file', () => {
    const names = [
      ...d.provinces.map((p) => p.fullName),
      ...d.wards.map((w) => w.fullName),
      ...d.legacyWards.map((w) => w.fullName),
      ...d.legacyDistricts.map((x) => x.fullName),
    ];
    expect(names.filter((n) => n !== n.normalize('NFC'))).toEqual([]);
    const file = JSON.parse(readFileSync(new URL('./data/address-data.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(addressDatasetVersion()).toBe(file.version);
    expect(addressDatasetVersion()).toMatch(/^vn-2025-07-01\//);
    expect(readFileSync(new URL('./data/LICENSE-address.md', import.meta.url), 'utf8')).toContain(
      file.version,
    );
  });
});

describe('address lookups', () => {
  it('finds a province by code and by any usual spelling', () => {
    for (const q of [
      '79',
      'Thành phố Hồ Chí Minh',
      'Hồ Chí Minh',
      'ho chi minh',
      'TP.HCM',
      'HCM',
      'tp hcm',
    ]) {
      expect(findProvince(q)?.code, q).toBe('79');
    }
    expect(findProvince('Hà Nội')?.fullName).toBe('Thành phố Hà Nội');
    expect(findProvince('hn')?.code).toBe('01');
    expect(findProvince('Tỉnh Cao Bằng')?.code).toBe('04');
    expect(findProvince('Thừa Thiên Huế')?.code).toBe('46');
    // A legacy name finds the province it went into.
    expect(findProvince('Bình Dương')?.code).toBe('79');
    expect(findProvince('Atlantis')).toBeNull();
    expect(findProvince('')).toBeNull();
  });

  it('finds wards by code and lists them by province', () => {
    expect(findWard('00070')).toMatchObject({
      name: 'Hoàn Kiếm',
      fullName: 'Phường Hoàn Kiếm',
      provinceCode: '01',
    });
    expect(findWard('00004')?.fullName).toBe('Phường Ba Đình');
    expect(findWard('99999')).toBeNull();
    expect(findWard('abc')).toBeNull();
    const hn = wardsOf('01');
    expect(hn.every((w) => w.provinceCode === '01')).toBe(true);
    expect(hn.map((w) => w.fullName)).toContain('Phường Hoàn Kiếm');
    expect(wardsOf('Hà Nội')).toBe(hn);
    expect(wardsOf('nowhere')).toEqual([]);
  });

  it('maps a legacy ward code to its 2025 unit', () => {
    const benNghe = findLegacyWard('26740');
    expect(benNghe).toMatchObject({ fullName: 'Phường Bến Nghé', provinceCode: '79' });
    expect(benNghe?.district.fullName).toBe('Quận 1');
    expect(mapLegacyWard('26740').map((w) => w.fullName)).toEqual(['Phường Sài Gòn']);
    expect(mapLegacyWard('00000')).toEqual([]);
  });

  it('folds Vietnamese for comparison', () => {
    expect(foldVietnamese('Thành phố Hồ Chí Minh')).toBe('thanh pho ho chi minh');
    expect(foldVietnamese('ĐẮK LẮK')).toBe('dak lak');
    expect(foldVietnamese('Bà Rịa - Vũng Tàu')).toBe('ba ria vung tau');
    // NFD input (macOS) folds the same as NFC.
    expect(foldVietnamese('Hà Nội'.normalize('NFD'))).toBe('ha noi');
  });
});
