import { useTranslation } from 'react-i18next';
import { intlLocale } from '../i18n/index.js';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatRelative } from './intl-format.js';

// The pure formatters live in intl-format.ts (no i18n or DOM import, so they are unit-tested in Node).
export {
  currencyDigits,
  formatDate,
  formatDateTime,
  formatMoney,
  formatNumber,
  formatRelative,
  parseMoneyInput,
} from './intl-format.js';

/** Formatting bound to the current language (re-renders on a language switch). */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = intlLocale(i18n.language);
  return {
    locale,
    money: (minor: number | null | undefined, currency: string, compact = false) =>
      formatMoney(minor, currency, locale, { compact }),
    number: (n: number) => formatNumber(n, locale),
    date: (iso: string | null | undefined) => formatDate(iso, locale),
    dateTime: (iso: string | null | undefined) => formatDateTime(iso, locale),
    relative: (iso: string) => formatRelative(iso, locale),
  };
}
