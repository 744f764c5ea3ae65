import { describe, expect, it } from 'vitest';
import { evaluate } from './salutation.eval.js';

describe('salutation evaluation (data/eval-names.json)', () => {
  it('reaches the seed target of 92% correct salutations', () => {
    const report = evaluate();
    // Printed so the number in the docs can be checked against a run.
    console.log(
      `salutation accuracy ${(report.accuracy * 100).toFixed(1)}% (${report.correct}/${report.total}); ` +
        `misses: ${report.neutral} neutral Anh/Chị or Ông/Bà, ${report.wrong} wrong`,
    );
    for (const m of report.mistakes)
      console.log(`  ${m.kind}: ${m.fullName} expected ${m.expected}, got ${m.got}`);
    expect(report.total).toBeGreaterThanOrEqual(300);
    expect(report.correct + report.mistakes.length).toBe(report.total);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.92);
  });

  it('covers every form and every situation the set was written for', () => {
    const report = evaluate();
    expect(Object.keys(report.confusion).sort()).toEqual(['Anh', 'Bà', 'Chị', 'Em', 'Ông']);
    expect(Object.keys(report.byCategory).length).toBeGreaterThanOrEqual(10);
  });
});
