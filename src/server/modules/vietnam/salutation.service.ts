import { z } from 'zod';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { type ParsedAddress, parseAddress } from './address/address.parse.js';
import { type SalutationResult, salutation, salutationInputSchema } from './salutation/salutation.js';

/**
 * The salutation and address tools as the product uses them: the pure cores (salutation/, address/)
 * behind the REST surface, and the one rule contacts use to fill their salutation.
 */

export const salutationBodySchema = z.strictObject({
  full_name: z.string().trim().min(1).max(300),
  gender: z.enum(['male', 'female']).nullable().optional(),
  birth_year: z.number().int().min(1900).max(2100).nullable().optional(),
  national_id: z
    .string()
    .trim()
    .regex(/^\d{12}$/, 'must be a 12-digit citizen identity number (CCCD)')
    .nullable()
    .optional(),
  speaker_birth_year: z.number().int().min(1900).max(2100).nullable().optional(),
  call_name: z.string().trim().max(100).nullable().optional(),
});
export type SalutationBody = z.infer<typeof salutationBodySchema>;

export const salutationResponseSchema = z
  .object({
    salutation: z.string(),
    code: z.string(),
    call_name: z.string(),
    gender: z.enum(['male', 'female', 'unknown']),
    confidence: z.number(),
    reasons: z.array(z.string()),
    display: z.string(),
    formal: z.string(),
    birth_year: z.number().int().nullable(),
    age: z.number().int().nullable(),
    name: z
      .object({ family: z.string(), middle: z.array(z.string()), given: z.string(), full: z.string() })
      .nullable(),
  })
  .meta({ id: 'Salutation' });

function present(r: SalutationResult) {
  return {
    salutation: r.salutation,
    code: r.code,
    call_name: r.callName,
    gender: r.gender,
    confidence: r.confidence,
    reasons: r.reasons,
    display: r.display,
    formal: r.formal,
    birth_year: r.birthYear,
    age: r.age,
    name: r.name
      ? { family: r.name.family, middle: r.name.middle, given: r.name.given, full: r.name.full }
      : null,
  };
}

/** POST /vn/salutation: pure; reads nothing, stores nothing. */
export function salutationFor(actor: Actor, body: SalutationBody) {
  requirePermission(actor, 'crm.contact.view');
  const input = salutationInputSchema.parse({
    fullName: body.full_name,
    gender: body.gender ?? null,
    birthYear: body.birth_year ?? null,
    nationalId: body.national_id ?? null,
    speakerBirthYear: body.speaker_birth_year ?? null,
    callName: body.call_name ?? null,
  });
  return present(salutation(input));
}

/**
 * The salutation code a contact gets when nobody chose one: from its name, gender and birth year. The
 * CRM does not know its members' birth years, so only the absolute age rule (60+) applies, never Em.
 */
export function autoSalutationCode(contact: {
  displayName: string;
  gender: 'male' | 'female' | null;
  birthYear: number | null;
}): SalutationResult['code'] {
  return salutation({
    fullName: contact.displayName,
    gender: contact.gender,
    birthYear: contact.birthYear,
  }).code;
}

const LABELS: Record<string, string> = {
  anh: 'Anh',
  chi: 'Chị',
  em: 'Em',
  ban: 'Bạn',
  ong: 'Ông',
  ba: 'Bà',
  anh_chi: 'Anh/Chị',
  ong_ba: 'Ông/Bà',
};

/** "Chị Lan": how the UI names a contact everywhere. */
export function salutationDisplay(code: string | null, callName: string | null, displayName: string): string {
  const label = code ? LABELS[code] : undefined;
  const name = callName ?? displayName;
  return label ? `${label} ${name}` : name;
}

export const addressBodySchema = z.strictObject({ text: z.string().trim().min(1).max(500) });

/** POST /vn/address/parse: pure. */
export function parseAddressFor(actor: Actor, text: string) {
  requirePermission(actor, 'crm.account.view');
  const r: ParsedAddress = parseAddress(text);
  // The parser's result is deeply readonly; the response type is not.
  return { ...r, candidates: [...r.candidates], warnings: [...r.warnings] };
}
