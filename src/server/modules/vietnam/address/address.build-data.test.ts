import { describe, expect, it } from 'vitest';
import { buildAddressData, serializeAddressData } from './address.build-data.js';
import { datasetFromJson } from './address.data.js';

/** A slice of the source package's shape, with each flaw the build repairs. */
function source(mappings: object[]) {
  return [
    { type: 'header', version: '1.1', comment: 'fixture' },
    { type: 'database', name: 'address' },
    {
      type: 'table',
      name: 'provinces',
      database: 'address',
      data: [
        { province_code: '01', name: 'Thành phố Hà Nội', place_type: 'Thành phố Trung Ương' },
        { province_code: '79', name: 'Thành phố Hồ Chí Minh', place_type: 'Thành phố Trung Ương' },
        { province_code: '04', name: 'Cao Bằng', place_type: 'Tỉnh' },
      ],
    },
    {
      type: 'table',
      name: 'wards',
      database: 'address',
      data: [
        { ward_code: '00070', name: 'Phường Hoàn Kiếm', province_code: '01' },
        { ward_code: '00082', name: 'Phường Cửa Nam', province_code: '01' },
        { ward_code: '26740', name: 'Phường Sài Gòn', province_code: '79' },
        { ward_code: '26743', name: 'Phường Bến Thành', province_code: '79' },
        { ward_code: '25942', name: 'Phường Dĩ An', province_code: '79' },
        { ward_code: '01273', name: 'Phường Thục Phán', province_code: '04' },
      ],
    },
    { type: 'table', name: 'ward_mappings', database: 'address', data: mappings },
  ];
}

const row = (
  old_ward_code: string | null,
  old_ward_name: string | null,
  old_district_name: string | null,
  old_province_name: string | null,
  new_ward_code: string,
  new_ward_name: string,
  new_province_name: string,
) => ({
  id: '1',
  old_ward_code,
  old_ward_name,
  old_district_name,
  old_province_name,
  new_ward_code,
  new_ward_name,
  new_province_name,
  created_at: null,
  updated_at: null,
});

const rows = [
  row(
    '00079',
    'Phường Tràng Tiền',
    'Quận Hoàn Kiếm',
    'Thành phố Hà Nội',
    '00082',
    'Phường Cửa Nam',
    'Thành phố Hà Nội',
  ),
  // Leading zeros dropped from the new code: resolved by name.
  row(
    '00076',
    'Phường Hàng Bạc',
    'Quận Hoàn Kiếm',
    'Thành phố Hà Nội',
    '70',
    'Phường Hoàn Kiếm',
    'Thành phố Hà Nội',
  ),
  // The main successor, then a second batch without the old code adding the other half of a split.
  row(
    '26734',
    'Phường Bến Nghé',
    'Quận 1',
    'Thành phố Hồ Chí Minh',
    '26740',
    'Phường Sài Gòn',
    'Thành phố Hồ Chí Minh',
  ),
  row(
    null,
    'Phường Bến Nghé',
    'Quận 1',
    'Thành phố Hồ Chí Minh',
    '26743',
    'Phường Bến Thành',
    'Thành phố Hồ Chí Minh',
  ),
  // A verbatim repeat.
  row(
    null,
    'Phường Bến Nghé',
    'Quận 1',
    'Thành phố Hồ Chí Minh',
    '26743',
    'Phường Bến Thành',
    'Thành phố Hồ Chí Minh',
  ),
  // A code that belongs to a same-named ward elsewhere: the province + name wins.
  row(
    '25942',
    'Phường Dĩ An',
    'Thành phố Dĩ An',
    'Tỉnh Bình Dương',
    '01273',
    'Phường Dĩ An',
    'Thành phố Hồ Chí Minh',
  ),
  row(
    '01270',
    'Phường Hợp Giang',
    'Thành phố Cao Bằng',
    'Tỉnh Cao Bằng',
    '01273',
    'Phường Thục Phán',
    'Cao Bằng',
  ),
  row(
    null,
    'Phường Sông Hiến',
    'Thành phố Cao Bằng',
    'Tỉnh Cao Bằng',
    '01273',
    'Phường Thục Phán',
    'Cao Bằng',
  ),
  // An island district without wards.
  row('', null, null, null, '26740', 'Phường Sài Gòn', 'Thành phố Hồ Chí Minh'),
];

describe('buildAddressData', () => {
  it('repairs the source and produces a file the loader accepts', () => {
    const { data, stats } = buildAddressData(source(rows), 'test/1');
    expect(stats).toEqual({
      provinces: 3,
      wards: 6,
      legacyProvinces: 4,
      legacyDistricts: 4,
      legacyWards: 6,
      legacyWardsWithoutCode: 1,
      splits: 1,
      repairedCodes: 2,
      uncodedRows: 3,
      droppedRowsWithoutOldUnit: 1,
    });
    const ds = datasetFromJson(JSON.parse(serializeAddressData(data)));
    expect(ds.version).toBe('test/1');
    expect(ds.provinces.map((p) => p.fullName)).toEqual([
      'Thành phố Hà Nội',
      'Thành phố Hồ Chí Minh',
      'Tỉnh Cao Bằng',
    ]);
    const byName = new Map(ds.legacyWards.map((w) => [w.fullName, w]));
    expect(byName.get('Phường Hàng Bạc')?.newWardCodes).toEqual(['00070']);
    expect(byName.get('Phường Bến Nghé')).toMatchObject({ code: '26734', newWardCodes: ['26740', '26743'] });
    expect(byName.get('Phường Dĩ An')).toMatchObject({ provinceCode: '74', newWardCodes: ['25942'] });
    expect(byName.get('Phường Sông Hiến')).toMatchObject({ code: null, newWardCodes: ['01273'] });
    expect(ds.legacyProvinces.map((p) => [p.code, p.newProvinceCode])).toEqual([
      ['01', '01'],
      ['04', '04'],
      ['74', '79'],
      ['79', '79'],
    ]);
  });

  it('merges legacy spellings that differ only in tone placement', () => {
    const { stats } = buildAddressData(
      source([
        row(
          '00172',
          'Phường Yên Hoà',
          'Quận Cầu Giấy',
          'Thành phố Hà Nội',
          '00070',
          'Phường Hoàn Kiếm',
          'Thành phố Hà Nội',
        ),
        row(
          null,
          'Phường Yên Hòa',
          'Quận Cầu Giấy',
          'Thành phố Hà Nội',
          '00082',
          'Phường Cửa Nam',
          'Thành phố Hà Nội',
        ),
      ]),
    );
    expect(stats).toMatchObject({ legacyWards: 1, splits: 1 });
  });

  it('refuses what it cannot repair', () => {
    const unknownProvince = row(
      '1',
      'Xã A',
      'Huyện B',
      'Tỉnh Atlantis',
      '00070',
      'Phường Hoàn Kiếm',
      'Hà Nội',
    );
    expect(() => buildAddressData(source([unknownProvince]))).toThrow(/legacy province code/);
    const unknownWard = row('1', 'Xã A', 'Huyện B', 'Thành phố Hà Nội', '99999', 'Phường Không Có', 'Hà Nội');
    expect(() => buildAddressData(source([unknownWard]))).toThrow(/ward/);
    const twoCodes = [
      row(
        '00079',
        'Phường Tràng Tiền',
        'Quận Hoàn Kiếm',
        'Thành phố Hà Nội',
        '00082',
        'Phường Cửa Nam',
        'Hà Nội',
      ),
      row(
        '00080',
        'Phường Tràng Tiền',
        'Quận Hoàn Kiếm',
        'Thành phố Hà Nội',
        '00082',
        'Phường Cửa Nam',
        'Hà Nội',
      ),
    ];
    expect(() => buildAddressData(source(twoCodes))).toThrow(/two codes/);
    // Cao Bằng's wards numbered below Hà Nội's: the hand-listed codes would be wrong.
    const outOfOrder = [
      row(
        '00001',
        'Phường Hợp Giang',
        'Thành phố Cao Bằng',
        'Tỉnh Cao Bằng',
        '01273',
        'Phường Thục Phán',
        'Cao Bằng',
      ),
      row(
        '00079',
        'Phường Tràng Tiền',
        'Quận Hoàn Kiếm',
        'Thành phố Hà Nội',
        '00082',
        'Phường Cửa Nam',
        'Hà Nội',
      ),
    ];
    expect(() => buildAddressData(source(outOfOrder))).toThrow(/ward numbering/);
    expect(() => buildAddressData({ not: 'the source' })).toThrow();
  });
});
