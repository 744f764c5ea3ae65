import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

/**
 * Vietnamese first, English complete, Arabic for the right-to-left shell (seed 001 asks for RTL).
 * One JSON file per feature namespace and language (`locales/<lng>/<ns>.json`), so features own their
 * strings; `locales.test.ts` fails on a key missing in vi or en, or used in code but defined nowhere.
 */

export const LANGUAGES = [
  { code: 'vi', label: 'Tiếng Việt', dir: 'ltr', intl: 'vi-VN' },
  { code: 'en', label: 'English', dir: 'ltr', intl: 'en-US' },
  { code: 'ar', label: 'العربية', dir: 'rtl', intl: 'ar' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const files = import.meta.glob<Record<string, unknown>>('./locales/*/*.json', {
  eager: true,
  import: 'default',
});
const resources: Record<string, Record<string, Record<string, unknown>>> = {};
for (const [path, content] of Object.entries(files)) {
  const m = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
  if (!m?.[1] || !m[2]) continue;
  resources[m[1]] ??= {};
  (resources[m[1]] as Record<string, Record<string, unknown>>)[m[2]] = content;
}

const STORAGE_KEY = 'crm.lang';

export function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && LANGUAGES.some((l) => l.code === stored)) return stored as Language;
  const nav = navigator.language.slice(0, 2);
  return nav === 'en' ? 'en' : nav === 'ar' ? 'ar' : 'vi';
}

function applyDocument(lng: string): void {
  const lang = LANGUAGES.find((l) => l.code === lng) ?? LANGUAGES[0];
  document.documentElement.lang = lang.code;
  document.documentElement.dir = lang.dir;
}

void i18n.use(initReactI18next).init({
  resources,
  lng: initialLanguage(),
  // Arabic covers the shell; feature pages fall back to English rather than show raw keys.
  fallbackLng: { ar: ['en'], default: ['en'] },
  defaultNS: 'common',
  ns: Object.keys(resources.en ?? {}),
  interpolation: { escapeValue: false },
  returnNull: false,
});
applyDocument(i18n.language);
i18n.on('languageChanged', (lng) => {
  localStorage.setItem(STORAGE_KEY, lng);
  applyDocument(lng);
});

/** The Intl locale for numbers, dates and currency of the current language. */
export function intlLocale(lng: string = i18n.language): string {
  return LANGUAGES.find((l) => l.code === lng)?.intl ?? 'vi-VN';
}

export default i18n;
