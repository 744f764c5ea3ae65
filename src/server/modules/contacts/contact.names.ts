/**
 * Vietnamese name rules (vietnam.md §5), as pure functions.
 *
 * - Text is normalized to NFC, and the Icelandic eth (U+00D0), which turns up in data typed as "Đ",
 *   becomes the Vietnamese Đ (U+0110), so the same name is always the same string.
 * - display_name, when not given, is composed in Vietnamese order: family name, then the given names —
 *   last_name "Nguyễn" + first_name "Thị Lan" → "Nguyễn Thị Lan". `first_name` holds the middle and given
 *   names, `last_name` the family name. Either may be missing.
 * - call_name, when not given, is the last syllable of the given names ("Thị Lan" → "Lan"), or of the
 *   display name when there is no first name (Vietnamese order puts the given name last). It stays
 *   editable: some people prefer two syllables ("Ngọc Anh").
 */

export function cleanName(v: string | null): string | null {
  if (v === null) return null;
  const out = v.normalize('NFC').replaceAll('\u00D0', '\u0110').replace(/\s+/g, ' ').trim();
  return out === '' ? null : out;
}

/** "last first" (Vietnamese order), or null when both are missing. */
export function composeDisplayName(firstName: string | null, lastName: string | null): string | null {
  const parts = [cleanName(lastName), cleanName(firstName)].filter((p): p is string => p !== null);
  return parts.length === 0 ? null : parts.join(' ');
}

/** The given name people address the contact by: the last syllable of first_name (else of display_name). */
export function deriveCallName(firstName: string | null, displayName: string | null): string | null {
  const source = cleanName(firstName) ?? cleanName(displayName);
  if (source === null) return null;
  const words = source.split(' ');
  return words[words.length - 1] ?? null;
}
