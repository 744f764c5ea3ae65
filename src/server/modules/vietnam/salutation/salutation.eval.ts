import { z } from 'zod';
import raw from './data/eval-names.json' with { type: 'json' };
import { SALUTATION_FORMS, type Salutation, salutation } from './salutation.js';

/**
 * Accuracy of salutation() on the hand-written evaluation set (data/eval-names.json; its method and
 * limits are in data/LICENSE-names.md). An answer counts as correct only when it is exactly the expected
 * form: the neutral "Anh/Chị" for a contact whose gender the set knows is counted as a miss, though a
 * polite one, and reported separately from a wrong gender.
 */

const entrySchema = z.object({
  fullName: z.string(),
  truth: z.enum(['male', 'female']),
  birthYear: z.number().int().optional(),
  speakerBirthYear: z.number().int().optional(),
  nationalId: z.string().optional(),
  gender: z.enum(['male', 'female']).optional(),
  expected: z.enum(SALUTATION_FORMS),
  category: z.string(),
});
const fileSchema = z.object({ asOf: z.iso.date(), entries: z.array(entrySchema).min(1) });

export interface EvaluationMistake {
  fullName: string;
  category: string;
  expected: Salutation;
  got: Salutation;
  /** 'neutral': fell back to Anh/Chị or Ông/Bà; 'wrong': the opposite gender or the wrong age form. */
  kind: 'neutral' | 'wrong';
  reasons: string[];
}

export interface EvaluationReport {
  total: number;
  correct: number;
  accuracy: number;
  /** Misses that used the neutral form (polite, but not what a person who knows the contact says). */
  neutral: number;
  /** Misses with a wrong gender or age form. */
  wrong: number;
  /** confusion[expected][got] = count. */
  confusion: Record<string, Record<string, number>>;
  byCategory: Record<string, { total: number; correct: number; accuracy: number }>;
  mistakes: EvaluationMistake[];
}

/** Runs every example through salutation() as of the set's date and tallies the answers. */
export function evaluate(): EvaluationReport {
  const data = fileSchema.parse(raw);
  const today = new Date(`${data.asOf}T12:00:00+07:00`);
  const confusion: Record<string, Record<string, number>> = {};
  const byCategory: Record<string, { total: number; correct: number; accuracy: number }> = {};
  const mistakes: EvaluationMistake[] = [];
  let correct = 0;
  for (const e of data.entries) {
    const result = salutation({
      fullName: e.fullName,
      gender: e.gender ?? null,
      birthYear: e.birthYear ?? null,
      nationalId: e.nationalId ?? null,
      speakerBirthYear: e.speakerBirthYear ?? null,
      today,
    });
    const got = result.salutation;
    const row = confusion[e.expected] ?? {};
    confusion[e.expected] = row;
    row[got] = (row[got] ?? 0) + 1;
    const cat = byCategory[e.category] ?? { total: 0, correct: 0, accuracy: 0 };
    byCategory[e.category] = cat;
    cat.total += 1;
    if (got === e.expected) {
      correct += 1;
      cat.correct += 1;
    } else {
      const kind = got === 'Anh/Chị' || got === 'Ông/Bà' ? 'neutral' : 'wrong';
      mistakes.push({
        fullName: e.fullName,
        category: e.category,
        expected: e.expected,
        got,
        kind,
        reasons: result.reasons,
      });
    }
  }
  for (const cat of Object.values(byCategory)) cat.accuracy = cat.correct / cat.total;
  const total = data.entries.length;
  return {
    total,
    correct,
    accuracy: correct / total,
    neutral: mistakes.filter((m) => m.kind === 'neutral').length,
    wrong: mistakes.filter((m) => m.kind === 'wrong').length,
    confusion,
    byCategory,
    mistakes,
  };
}
