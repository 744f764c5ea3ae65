import { z } from 'zod';
import raw from './data/given-names.json' with { type: 'json' };
import { accentKey, fold, isUnaccented } from './text.js';

/**
 * The hand-compiled name data (data/given-names.json, see data/LICENSE-names.md), checked once at load
 * and indexed twice: by the accented key (exact spelling after normalization) and by the folded key for
 * names typed without accents, where every spelling that folds alike is mixed by its weight.
 */

const probability = z.number().min(0).max(1);
const signal = z.tuple([probability, z.number().int().positive()]);
const fileSchema = z.object({
  version: z.string().min(1),
  given: z.record(z.string().min(1), signal),
  middle: z.record(z.string().min(1), signal),
  pairs: z.record(z.string().min(1), probability),
  family: z.record(z.string().min(1), z.number().positive()),
  compoundFamily: z.array(z.string().min(1)),
  callNamePairs: z.array(z.string().min(1)),
});

/** Probability that the bearer is male, and how much data (popularity) stands behind it. */
export interface GenderSignal {
  pMale: number;
  weight: number;
  /** The spellings the signal was built from (one when looked up with accents). */
  spellings: string[];
}

function phraseKey(phrase: string, folded: boolean): string {
  return phrase
    .split(' ')
    .map((t) => (folded ? fold(t) : accentKey(t)))
    .join(' ');
}

function indexSignals(entries: Record<string, [number, number]>) {
  const exact = new Map<string, GenderSignal>();
  const folded = new Map<string, GenderSignal>();
  for (const [name, [pMale, weight]] of Object.entries(entries)) {
    exact.set(accentKey(name), { pMale, weight, spellings: [name] });
    const key = fold(name);
    const prev = folded.get(key);
    if (prev === undefined) folded.set(key, { pMale, weight, spellings: [name] });
    else {
      const total = prev.weight + weight;
      folded.set(key, {
        pMale: (prev.pMale * prev.weight + pMale * weight) / total,
        weight: total,
        spellings: [...prev.spellings, name],
      });
    }
  }
  return { exact, folded };
}

const data = fileSchema.parse(raw);
const given = indexSignals(data.given);
const middle = indexSignals(data.middle);
const pairs = new Map(Object.entries(data.pairs).map(([k, p]) => [phraseKey(k, false), p]));
const familyExact = new Map<string, number>();
const familyFolded = new Map<string, number>();
for (const [name, share] of Object.entries(data.family)) {
  familyExact.set(accentKey(name), share);
  const key = fold(name);
  familyFolded.set(key, (familyFolded.get(key) ?? 0) + share);
}
const compound = data.compoundFamily
  .map((name) => name.split(' '))
  .sort((a, b) => b.length - a.length)
  .map((parts) => ({ exact: parts.map((p) => accentKey(p)), folded: parts.map((p) => fold(p)) }));
const callPairsExact = new Set(data.callNamePairs.map((p) => phraseKey(p, false)));
const callPairsFolded = new Set(data.callNamePairs.map((p) => phraseKey(p, true)));

export const NAME_DATA_VERSION = data.version;

/**
 * Looks a token up by its accented spelling, or by its folded key when the whole name was typed without
 * accents. A bare-ASCII token inside an accented name ("Nguyễn Văn Tuan") falls back to the folded key.
 */
function lookup<T>(exact: Map<string, T>, folded: Map<string, T>, token: string, unaccentedName: boolean) {
  if (unaccentedName) return folded.get(fold(token));
  return exact.get(accentKey(token)) ?? (isUnaccented(token) ? folded.get(fold(token)) : undefined);
}

/** Gender statistics of a given name. */
export function givenSignal(token: string, unaccentedName: boolean): GenderSignal | undefined {
  return lookup(given.exact, given.folded, token, unaccentedName);
}

/** Gender statistics of a middle name. */
export function middleSignal(token: string, unaccentedName: boolean): GenderSignal | undefined {
  return lookup(middle.exact, middle.folded, token, unaccentedName);
}

/**
 * Probability male of a two-syllable given name. Only looked up when both syllables are written with
 * their accents: unaccented pairs collide ("Van Anh" is Vân Anh, a woman, or Văn Anh, a man).
 */
export function pairSignal(middleToken: string, givenToken: string): number | undefined {
  return pairs.get(`${accentKey(middleToken)} ${accentKey(givenToken)}`);
}

/** Approximate share (percent) of the population carrying this family name; 0 when not a known one. */
export function familyShare(token: string, unaccentedName: boolean): number {
  return lookup(familyExact, familyFolded, token, unaccentedName) ?? 0;
}

/** Length of the compound family name the tokens start with (0 when none). */
export function compoundFamilyLength(tokens: readonly string[], unaccentedName: boolean): number {
  const folded = unaccentedName;
  const keys = tokens.map((t) => (folded ? fold(t) : accentKey(t)));
  for (const c of compound) {
    const parts = folded ? c.folded : c.exact;
    if (parts.length <= keys.length && parts.every((p, i) => keys[i] === p)) return parts.length;
  }
  return 0;
}

/** True when people are usually called by both syllables of this given name ("chị Ngọc Anh"). */
export function isCallNamePair(middleToken: string, givenToken: string, unaccentedName: boolean): boolean {
  return unaccentedName
    ? callPairsFolded.has(`${fold(middleToken)} ${fold(givenToken)}`)
    : callPairsExact.has(`${accentKey(middleToken)} ${accentKey(givenToken)}`);
}
