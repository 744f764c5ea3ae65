import { AppError } from '../../platform/errors.js';
import { addressDatasetVersion, findWard } from './address/address.data.js';
import { parseAddress } from './address/address.parse.js';

/**
 * Vietnamese account addresses get the official codes of the 1 July 2025 units on every write: a person's
 * pick (`ward_code`, e.g. from the candidates of an ambiguous address) is checked against the dataset;
 * otherwise the parser reads the written parts (new or legacy form). An ambiguous or unreadable address
 * is saved as written with a warning naming the field — never a guess stored as fact.
 */

export interface AddressCodes {
  ward_code?: string | null | undefined;
  province_code?: string | null | undefined;
  dataset_version?: string | null | undefined;
}

interface AddressLike extends AddressCodes {
  street: string | null;
  ward: string | null;
  district: string | null;
  province: string | null;
  country: string;
}

export interface AddressWarning {
  code: 'address_ambiguous' | 'address_not_recognized';
  field: string;
  message: string;
}

export function withUnitCodes<T extends AddressLike>(
  addresses: readonly T[],
): { addresses: Array<T & Required<AddressCodes>>; warnings: AddressWarning[] } {
  const warnings: AddressWarning[] = [];
  const out = addresses.map((a, i) => {
    if (a.country !== 'VN') return { ...a, ward_code: null, province_code: null, dataset_version: null };
    if (a.ward_code) {
      const ward = findWard(a.ward_code);
      if (!ward) {
        throw new AppError('validation_failed', `No 2025 ward or commune has the code ${a.ward_code}`, {
          fields: [
            {
              field: `addresses.${i}.ward_code`,
              pointer: `/addresses/${i}/ward_code`,
              in: 'body',
              code: 'unknown_unit',
              message: 'not a code of the 2025 units',
            },
          ],
        });
      }
      return {
        ...a,
        ward_code: ward.code,
        province_code: ward.provinceCode,
        dataset_version: addressDatasetVersion(),
      };
    }
    const text = [a.street, a.ward, a.district, a.province].filter((x): x is string => Boolean(x)).join(', ');
    if (!text) return { ...a, ward_code: null, province_code: null, dataset_version: null };
    const parsed = parseAddress(text);
    const unit = parsed.form === 'legacy' ? parsed.mapped : { ward: parsed.ward, province: parsed.province };
    const wardCode = !parsed.ambiguous && unit?.ward?.code ? unit.ward.code : null;
    const provinceCode = unit?.province?.code ?? null;
    if (parsed.ambiguous) {
      warnings.push({
        code: 'address_ambiguous',
        field: `addresses.${i}.ward`,
        message: `The ward could be any of: ${parsed.candidates
          .map((c) => `${c.name}, ${c.province.name} (${c.code})`)
          .join('; ')}; send ward_code to choose`,
      });
    } else if (!wardCode) {
      warnings.push({
        code: 'address_not_recognized',
        field: `addresses.${i}.ward`,
        message: 'The ward/commune was not recognised among the 2025 units; saved as written',
      });
    }
    return {
      ...a,
      ward_code: wardCode,
      province_code: provinceCode,
      dataset_version: wardCode || provinceCode ? parsed.datasetVersion : null,
    };
  });
  return { addresses: out, warnings };
}
