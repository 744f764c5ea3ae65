/**
 * Tag rules shared by the API (accounts, contacts, deals) and the web forms, so both accept and store
 * the same labels: trimmed, NFC (a Vietnamese "hội chợ" typed on macOS and on Windows is one tag),
 * case kept as typed, duplicates dropped (first spelling wins), at most TAG_LIMITS.perRecord per record
 * of at most TAG_LIMITS.length characters each.
 */
export const TAG_LIMITS = {
  perRecord: 50,
  length: 64,
  /** Ids per bulk tagging request. */
  bulkIds: 500,
  /** Tags added or removed per bulk request. */
  bulkTags: 20,
  suggestionsDefault: 20,
  suggestionsMax: 100,
} as const;

/** One tag as stored: NFC, trimmed, inner whitespace runs collapsed to one space. */
export const normalizeTag = (tag: string): string => tag.normalize('NFC').trim().replace(/\s+/g, ' ');

/** Normalized tags, empty ones and duplicates dropped, in first-seen order. */
export function normalizeTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const n = normalizeTag(t);
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}

/** `current` with `add` appended (those not already present) and `remove` taken out. */
export function applyTagChange(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const drop = new Set(remove);
  const out = current.filter((t) => !drop.has(t));
  for (const t of add) if (!drop.has(t) && !out.includes(t)) out.push(t);
  return out;
}
