import { describe, expect, it } from 'vitest';
import { SALUTATION_CODES, salutation, salutationInputSchema } from './salutation.js';

const today = new Date('2026-11-21T12:00:00+07:00'); // the contact's age is 2026 minus the birth year
const MAN = 'Nguyễn Văn Tuấn';
const WOMAN = 'Trần Thị Lan';
const UNISEX = 'Lê Anh';

describe('salutation: age rules at their boundaries', () => {
  it('Ông/Bà from exactly 60, not at 59', () => {
    expect(salutation({ fullName: MAN, birthYear: 1966, today }).salutation).toBe('Ông');
    expect(salutation({ fullName: WOMAN, birthYear: 1966, today }).salutation).toBe('Bà');
    expect(salutation({ fullName: MAN, birthYear: 1967, today }).salutation).toBe('Anh');
    expect(salutation({ fullName: WOMAN, birthYear: 1967, today }).salutation).toBe('Chị');
  });

  it('Ông/Bà when exactly 20 years older than the speaker, not 19', () => {
    const r = salutation({ fullName: MAN, birthYear: 1975, speakerBirthYear: 1995, today });
    expect(r.salutation).toBe('Ông');
    expect(r.reasons[0]).toBe('born 1975, 20 years before the speaker (1995): 20 or more → Ông/Bà');
    expect(salutation({ fullName: WOMAN, birthYear: 1976, speakerBirthYear: 1995, today }).salutation).toBe(
      'Chị',
    );
  });

  it('Em when exactly 10 years younger than the speaker, not 9', () => {
    const r = salutation({ fullName: WOMAN, birthYear: 2000, speakerBirthYear: 1990, today });
    expect(r).toMatchObject({ salutation: 'Em', code: 'em', display: 'Em Lan', confidence: 1 });
    expect(r.reasons[0]).toBe('born 2000, 10 years after the speaker (1990): 10 or more → Em');
    expect(salutation({ fullName: WOMAN, birthYear: 1999, speakerBirthYear: 1990, today }).salutation).toBe(
      'Chị',
    );
    expect(salutation({ fullName: MAN, birthYear: 1999, speakerBirthYear: 1990, today }).salutation).toBe(
      'Anh',
    );
  });

  it('Em needs both birth years', () => {
    expect(salutation({ fullName: WOMAN, birthYear: 2008, today }).salutation).toBe('Chị');
    expect(salutation({ fullName: WOMAN, speakerBirthYear: 1960, today }).salutation).toBe('Chị');
  });

  it('the 60-or-older rule comes first, whatever the speaker', () => {
    expect(salutation({ fullName: MAN, birthYear: 1960, speakerBirthYear: 1940, today }).salutation).toBe(
      'Ông',
    );
  });

  it('with no birth year the age rules are skipped and said so', () => {
    const r = salutation({ fullName: MAN, today });
    expect(r).toMatchObject({ salutation: 'Anh', birthYear: null, age: null });
    expect(r.reasons[0]).toBe('birth year unknown: age rules not applied');
  });

  it('counts years in Vietnam time (UTC+7)', () => {
    const newYearInHanoi = new Date('2026-12-31T17:30:00Z');
    expect(salutation({ fullName: MAN, birthYear: 1967, today: newYearInHanoi })).toMatchObject({
      salutation: 'Ông',
      age: 60,
    });
  });
});

describe('salutation: gender', () => {
  it('uses the neutral forms when gender stays unknown', () => {
    expect(salutation({ fullName: UNISEX, today })).toMatchObject({
      salutation: 'Anh/Chị',
      code: 'anh_chi',
      gender: 'unknown',
      display: 'Anh/Chị Anh',
      formal: 'Kính gửi Ông/Bà Lê Anh',
    });
    expect(salutation({ fullName: UNISEX, birthYear: 1950, today })).toMatchObject({
      salutation: 'Ông/Bà',
      code: 'ong_ba',
    });
    expect(salutation({ fullName: UNISEX, birthYear: 2001, speakerBirthYear: 1990, today }).salutation).toBe(
      'Em',
    );
  });

  it('follows the explicit field, then the national ID', () => {
    expect(salutation({ fullName: UNISEX, gender: 'female', today }).salutation).toBe('Chị');
    expect(salutation({ fullName: UNISEX, nationalId: '001090012345', today }).salutation).toBe('Anh');
    expect(
      salutation({ fullName: MAN, gender: 'female', nationalId: '001090012345', today }).salutation,
    ).toBe('Chị');
  });
});

describe('salutation: birth year sources', () => {
  it('takes the birth year from the national ID when the field is empty', () => {
    const r = salutation({ fullName: UNISEX, nationalId: '079160012345', today });
    expect(r).toMatchObject({ salutation: 'Bà', birthYear: 1960, age: 66, gender: 'female' });
    expect(r.reasons).toContain('birth year 1960 from the national ID');
  });

  it('prefers the field and reports a disagreeing ID', () => {
    const r = salutation({ fullName: MAN, birthYear: 1990, nationalId: '079060012345', today });
    expect(r).toMatchObject({ salutation: 'Anh', birthYear: 1990 });
    expect(r.reasons).toContain("birth year 1990 differs from the national ID's 1960; the field wins");
  });

  it('ignores implausible years instead of failing', () => {
    const r = salutation({ fullName: MAN, birthYear: 2030, speakerBirthYear: 1800, today });
    expect(r).toMatchObject({ salutation: 'Anh', birthYear: null });
    expect(r.reasons).toContain('birth year 2030 is not plausible: ignored');
    expect(r.reasons).toContain("speaker's birth year 1800 is not plausible: ignored");
  });
});

describe('salutation: output', () => {
  it('builds display and formal lines', () => {
    expect(salutation({ fullName: 'nguyễn văn tuấn', birthYear: 1950, today })).toMatchObject({
      display: 'Ông Tuấn',
      formal: 'Kính gửi Ông Nguyễn Văn Tuấn',
      callName: 'Tuấn',
    });
    // Formal letters use Ông/Bà at any age, in Vietnamese order.
    expect(salutation({ fullName: 'Lan Nguyen', today })).toMatchObject({
      display: 'Chị Lan',
      formal: 'Kính gửi Bà Nguyen Lan',
    });
    expect(salutation({ fullName: 'Phạm Ngọc Anh', today }).display).toBe('Chị Ngọc Anh');
  });

  it('uses an edited call name', () => {
    expect(salutation({ fullName: WOMAN, callName: '  bé   LAN ', today }).display).toBe('Chị Bé Lan');
  });

  it('falls back to Quý khách without a name', () => {
    expect(salutation({ fullName: ' ', today })).toMatchObject({
      salutation: 'Anh/Chị',
      display: 'Quý khách',
      formal: 'Kính gửi Quý khách',
      callName: '',
      name: null,
    });
  });

  it('is less confident when the birth year is unknown', () => {
    const known = salutation({ fullName: MAN, birthYear: 1990, speakerBirthYear: 1990, today }).confidence;
    const noSpeaker = salutation({ fullName: MAN, birthYear: 1990, today }).confidence;
    const unknown = salutation({ fullName: MAN, today }).confidence;
    expect(known).toBe(0.98);
    expect(noSpeaker).toBeLessThan(known);
    expect(unknown).toBeLessThan(noSpeaker);
  });

  it('maps every form to a stored code the contacts table accepts', () => {
    expect(Object.values(SALUTATION_CODES).sort()).toEqual([
      'anh',
      'anh_chi',
      'ba',
      'chi',
      'em',
      'ong',
      'ong_ba',
    ]);
  });

  it('exposes a zod schema for transports', () => {
    expect(salutationInputSchema.safeParse({ fullName: 'A', birthYear: 1899 }).success).toBe(false);
    expect(salutationInputSchema.safeParse({ fullName: 'A', gender: 'other' }).success).toBe(false);
    expect(salutationInputSchema.parse({ fullName: 'A', gender: null, birthYear: 1990 })).toMatchObject({
      fullName: 'A',
      birthYear: 1990,
    });
  });
});
