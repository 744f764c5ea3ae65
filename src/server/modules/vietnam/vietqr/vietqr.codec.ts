/**
 * VietQR codec: NAPAS 247 bank-transfer QR payloads in the EMVCo merchant-presented (MPM) format.
 *
 * Pure functions only (no I/O, no clock). Written by hand because no maintained library both encodes
 * and decodes *strictly* (every TLV length at every nesting level, CRC last and correct): the npm
 * packages we looked at either skip nested length checks or silently accept a broken tag 62, and a
 * lenient decoder is how money ends up at the wrong account (risk R-CRM-007).
 *
 * Lengths count Unicode code points (EMVCo: "number of characters"); the CRC runs over UTF-8 bytes.
 * What we emit is always printable ASCII, where both are the same.
 */

/** NAPAS's globally unique identifier, sub-field 00 of root tag 38. */
export const NAPAS_GUID = 'A000000727';
/** ISO 4217 numeric code of the Vietnamese dong. */
export const VND_NUMERIC = '704';
/** EMVCo caps a whole payload at 512 characters. */
export const MAX_PAYLOAD_LENGTH = 512;
/** EMVCo limits every sub-field of the additional-data template (62) to 25 characters. */
export const MAX_ADDITIONAL_FIELD_LENGTH = 25;
export const DEFAULT_PURPOSE_LENGTH = 25;

export type VietQrService = 'QRIBFTTA' | 'QRIBFTTC';
export const VIETQR_SERVICES: readonly VietQrService[] = ['QRIBFTTA', 'QRIBFTTC'];

// ---------------------------------------------------------------------------------------------------
// CRC-16/CCITT-FALSE
// ---------------------------------------------------------------------------------------------------

const CRC_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let bit = 0; bit < 8; bit++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[i] = c;
  }
  return table;
})();

/**
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0) over the UTF-8 bytes of `s`,
 * as 4 upper-case hex digits. For VietQR, `s` is the payload up to and including the literal `6304`.
 */
export function crc16CcittFalse(s: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(s, 'utf8')) {
    crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

// ---------------------------------------------------------------------------------------------------
// Generic TLV
// ---------------------------------------------------------------------------------------------------

/** One EMV TLV data object; `children` is filled by the VietQR decoder for the templates it knows. */
export interface TlvField {
  tag: string;
  length: number;
  value: string;
  children?: TlvField[];
}

export type TlvErrorReason = 'length_mismatch' | 'bad_format';

/** A TLV string that does not parse; `path` names the template ('' = root, '38/01'…), `offset` the index. */
export class TlvParseError extends Error {
  override readonly name = 'TlvParseError';
  constructor(
    readonly reason: TlvErrorReason,
    readonly path: string,
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits an EMV TLV string (`ID` 2 digits, `LENGTH` 2 digits, `VALUE`) into its data objects, in order.
 * Strict: IDs and lengths must be two ASCII digits, lengths 01–99, and the objects must tile the input
 * exactly (no truncated value, no trailing bytes). Lengths count code points.
 *
 * @param path label of the template being parsed, carried into errors ('' for the root).
 * @throws TlvParseError `bad_format` (non-digit ID/length, zero length) or `length_mismatch`
 *   (a declared length runs past the end, or a header is cut short).
 */
export function parseTlv(s: string, path = ''): TlvField[] {
  const chars = Array.from(s);
  const where = path === '' ? 'the payload' : `template ${path}`;
  const fields: TlvField[] = [];
  let i = 0;
  while (i < chars.length) {
    if (chars.length - i < 4) {
      throw new TlvParseError(
        'length_mismatch',
        path,
        i,
        `${where} ends with ${chars.length - i} stray character(s) at offset ${i}, too short for a field header`,
      );
    }
    const tag = chars.slice(i, i + 2).join('');
    const len = chars.slice(i + 2, i + 4).join('');
    const at = path === '' ? tag : `${path}/${tag}`;
    if (!/^\d{2}$/.test(tag)) {
      throw new TlvParseError(
        'bad_format',
        path,
        i,
        `${where} has a non-numeric field ID "${tag}" at offset ${i}`,
      );
    }
    if (!/^\d{2}$/.test(len)) {
      throw new TlvParseError('bad_format', path, i + 2, `field ${at} has a non-numeric length "${len}"`);
    }
    const length = Number(len);
    if (length === 0) {
      throw new TlvParseError(
        'bad_format',
        path,
        i + 2,
        `field ${at} has length 00; EMVCo lengths are 01–99`,
      );
    }
    if (i + 4 + length > chars.length) {
      throw new TlvParseError(
        'length_mismatch',
        path,
        i + 2,
        `field ${at} declares ${length} character(s) but only ${chars.length - i - 4} remain in ${where}`,
      );
    }
    fields.push({ tag, length, value: chars.slice(i + 4, i + 4 + length).join('') });
    i += 4 + length;
  }
  return fields;
}

/** One data object as text: `tag + 2-digit length + value`. Throws RangeError outside 1–99 characters. */
export function tlv(tag: string, value: string): string {
  const length = Array.from(value).length;
  if (!/^\d{2}$/.test(tag)) throw new RangeError(`TLV tag must be two digits, got "${tag}"`);
  if (length < 1 || length > 99)
    throw new RangeError(`TLV field ${tag} must hold 1–99 characters, got ${length}`);
  return `${tag}${String(length).padStart(2, '0')}${value}`;
}

// ---------------------------------------------------------------------------------------------------
// Text folding
// ---------------------------------------------------------------------------------------------------

/**
 * Folds free text to what a transfer description can safely carry: printable ASCII with Vietnamese
 * diacritics removed ("chuyển khoản" → "chuyen khoan", đ/Đ/Ð → d/D), anything else non-ASCII or
 * control replaced by a space, runs of spaces collapsed, trimmed, then cut to `max` characters (and
 * trimmed again so a cut never leaves a trailing space). Case is kept. Result may be ''.
 */
export function foldPurpose(text: string, max = DEFAULT_PURPOSE_LENGTH): string {
  if (!Number.isInteger(max) || max < 0)
    throw new RangeError(`max must be a non-negative integer, got ${max}`);
  const ascii = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/[ĐÐ]/g, 'D')
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return ascii.slice(0, max).trimEnd();
}

// ---------------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------------

export interface VietQrInput {
  /** 6-digit NAPAS bank identification number (970436 = Vietcombank…). */
  bankBin: string;
  /** Account number, or card number for QRIBFTTC: 1–19 of [A-Za-z0-9] (cards: digits only). */
  account: string;
  /** Default: QRIBFTTC when `account` looks like a domestic card of that bank (16 or 19 digits starting
   *  with its BIN), else QRIBFTTA. */
  service?: VietQrService;
  /** Integer VND, positive, at most 13 digits. */
  amount?: number;
  /** Free text; folded with {@link foldPurpose} (ASCII, ≤ 25 chars). Omitted when it folds to ''. */
  purpose?: string;
  /** 62/01, printable ASCII, ≤ 25 chars. */
  billNumber?: string;
  /** 62/05, printable ASCII, ≤ 25 chars. */
  reference?: string;
  /** 62/07, printable ASCII, ≤ 25 chars. */
  terminal?: string;
  /** Point of initiation 12 (one-off) vs 11 (reusable). Default: dynamic iff `amount` is given. */
  dynamic?: boolean;
}

export type VietQrInputField = keyof VietQrInput | 'additionalData';
export type VietQrInputReason = 'required' | 'bad_format' | 'too_long' | 'out_of_range';

/** Invalid encoder input; `field` names the offending input key. Maps to the `vietqr_invalid` code. */
export class VietQrInputError extends Error {
  override readonly name = 'VietQrInputError';
  readonly code = 'vietqr_invalid';
  constructor(
    readonly field: VietQrInputField,
    readonly reason: VietQrInputReason,
    message: string,
  ) {
    super(message);
  }
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const MAX_AMOUNT = 9_999_999_999_999;

/** Domestic cards carry their issuer's BIN as the first six digits; NAPAS cards are 16 or 19 long. */
export function looksLikeCard(bankBin: string, account: string): boolean {
  return /^\d{16}$|^\d{19}$/.test(account) && account.startsWith(bankBin);
}

function checkAdditional(
  field: 'billNumber' | 'reference' | 'terminal',
  value: string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0)
    throw new VietQrInputError(field, 'required', `${field} must not be empty when given`);
  if (!PRINTABLE_ASCII.test(value)) {
    throw new VietQrInputError(field, 'bad_format', `${field} must be printable ASCII (no diacritics)`);
  }
  if (value.length > MAX_ADDITIONAL_FIELD_LENGTH) {
    throw new VietQrInputError(
      field,
      'too_long',
      `${field} must be at most ${MAX_ADDITIONAL_FIELD_LENGTH} characters, got ${value.length}`,
    );
  }
  return value;
}

/**
 * Builds a VietQR payload string (CRC included). Field order is canonical — 00, 01, 38, 53, 54, 58, 62,
 * 63 with 62's sub-fields ascending — so decoding and re-encoding a payload we produced is the identity.
 *
 * @throws VietQrInputError naming the field: BIN not 6 digits, account empty/too long/not alphanumeric
 *   (or not digits for a card), amount not a positive integer of ≤ 13 digits, an additional-data field
 *   not ASCII or over 25 chars, or template 62 over 99 chars.
 */
export function encodeVietQr(input: VietQrInput): string {
  const { bankBin, account } = input;
  if (typeof bankBin !== 'string' || !/^\d{6}$/.test(bankBin)) {
    throw new VietQrInputError('bankBin', 'bad_format', 'bankBin must be exactly 6 digits');
  }
  if (typeof account !== 'string' || account.length === 0) {
    throw new VietQrInputError('account', 'required', 'account is required');
  }
  if (account.length > 19) {
    throw new VietQrInputError(
      'account',
      'too_long',
      `account must be at most 19 characters, got ${account.length}`,
    );
  }
  if (!/^[A-Za-z0-9]+$/.test(account)) {
    throw new VietQrInputError('account', 'bad_format', 'account may contain only letters A–Z and digits');
  }
  const service = input.service ?? (looksLikeCard(bankBin, account) ? 'QRIBFTTC' : 'QRIBFTTA');
  if (!VIETQR_SERVICES.includes(service)) {
    throw new VietQrInputError(
      'service',
      'bad_format',
      'service must be QRIBFTTA (account) or QRIBFTTC (card)',
    );
  }
  if (service === 'QRIBFTTC' && !/^\d+$/.test(account)) {
    throw new VietQrInputError(
      'account',
      'bad_format',
      'account must be digits only for a card transfer (QRIBFTTC)',
    );
  }
  const { amount } = input;
  if (amount !== undefined) {
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
      throw new VietQrInputError('amount', 'bad_format', 'amount must be a whole number of VND');
    }
    if (amount <= 0 || amount > MAX_AMOUNT) {
      throw new VietQrInputError(
        'amount',
        'out_of_range',
        'amount must be between 1 and 9,999,999,999,999 VND',
      );
    }
  }
  const purpose = input.purpose === undefined ? '' : foldPurpose(input.purpose);
  const billNumber = checkAdditional('billNumber', input.billNumber);
  const reference = checkAdditional('reference', input.reference);
  const terminal = checkAdditional('terminal', input.terminal);
  const dynamic = input.dynamic ?? amount !== undefined;

  const beneficiary = tlv('00', bankBin) + tlv('01', account);
  const napas = tlv('00', NAPAS_GUID) + tlv('01', beneficiary) + tlv('02', service);

  let additional = '';
  for (const [tag, field, value] of [
    ['01', 'billNumber', billNumber],
    ['05', 'reference', reference],
    ['07', 'terminal', terminal],
    ['08', 'purpose', purpose],
  ] as const) {
    if (value === undefined || value === '') continue;
    additional += tlv(tag, value);
    if (additional.length > 99) {
      throw new VietQrInputError(
        field,
        'too_long',
        `bill number, reference, terminal and purpose together exceed the 99-character additional-data template (${field} overflows)`,
      );
    }
  }

  let body = tlv('00', '01') + tlv('01', dynamic ? '12' : '11') + tlv('38', napas) + tlv('53', VND_NUMERIC);
  if (amount !== undefined) body += tlv('54', String(amount));
  body += tlv('58', 'VN');
  if (additional !== '') body += tlv('62', additional);
  body += '6304';
  return body + crc16CcittFalse(body);
}

// ---------------------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------------------

/** Every reason a payload can be rejected for: stable codes (API contract), messages are for people. */
export const VIETQR_DECODE_REASONS = [
  'bad_format',
  'too_long',
  'length_mismatch',
  'missing_field',
  'duplicate_field',
  'field_order',
  'crc_mismatch',
  'unsupported_currency',
  'unsupported_country',
] as const;
export type VietQrDecodeReason = (typeof VIETQR_DECODE_REASONS)[number];

interface DecodedBase {
  /** '11' static (reusable), '12' dynamic (one-off). */
  init: '11' | '12';
  /** GUID of the merchant-account template the payload is for (NAPAS: A000000727). */
  guid: string;
  amount?: number;
  /** Always VND: tag 53 is 704 or absent. */
  currency: typeof VND_NUMERIC;
  country: 'VN';
  purpose?: string;
  billNumber?: string;
  reference?: string;
  terminal?: string;
  /** 52, 59, 60 when present (merchant QRs such as VNPAY-QR carry them; bank transfers do not). */
  merchantCategory?: string;
  merchantName?: string;
  merchantCity?: string;
  crc: string;
  /** Every data object in payload order; templates (26–51, 62, 64, 38/01) carry `children`. */
  fields: TlvField[];
}

/** A NAPAS 247 bank transfer: tag 38 with the NAPAS GUID and service QRIBFTTA/QRIBFTTC. */
export interface DecodedNapasQr extends DecodedBase {
  kind: 'napas';
  bankBin: string;
  account: string;
  service: VietQrService;
}

/** A well-formed EMVCo payload of another scheme (VNPAY-QR, a NAPAS merchant QR…): not a transfer. */
export interface DecodedOtherQr extends DecodedBase {
  kind: 'other';
  bankBin?: undefined;
  account?: undefined;
  service?: undefined;
}

export type DecodedVietQr = DecodedNapasQr | DecodedOtherQr;

export type VietQrDecodeResult =
  | { ok: true; qr: DecodedVietQr }
  | { ok: false; reason: VietQrDecodeReason; message: string; field?: string };

class DecodeFailure extends Error {
  constructor(
    readonly reason: VietQrDecodeReason,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function fail(reason: VietQrDecodeReason, message: string, field?: string): never {
  throw new DecodeFailure(reason, message, field);
}

function parseAt(value: string, path: string): TlvField[] {
  const children = parseTlv(value, path);
  const seen = new Set<string>();
  for (const f of children) {
    if (seen.has(f.tag))
      fail('duplicate_field', `template ${path} repeats sub-field ${f.tag}`, `${path}/${f.tag}`);
    seen.add(f.tag);
  }
  return children;
}

function isTemplateTag(tag: string): boolean {
  const n = Number(tag);
  return (n >= 26 && n <= 51) || n === 62 || n === 64;
}

function get(fields: readonly TlvField[], tag: string): TlvField | undefined {
  return fields.find((f) => f.tag === tag);
}

/** Matches `…6304XXXX` at the very end; checked before parsing so a damaged payload reports its CRC. */
const CRC_TAIL = /6304([0-9A-F]{4})$/;

/**
 * Strictly decodes a VietQR (or any EMVCo MPM) payload. Never throws on bad input.
 *
 * Checks, in order: non-empty ≤ 512 chars; ends in `6304` + 4 upper-case hex (`missing_field`/
 * `bad_format`); CRC-16/CCITT-FALSE over everything before the checksum (`crc_mismatch`); every TLV
 * length at the root and inside every template (26–51, 38/01, 62, 64) (`length_mismatch`/`bad_format`);
 * no repeated IDs (`duplicate_field`); 00 = 01 first and 63 last (`field_order`); 01 = 11|12; 53 = 704
 * when present (`unsupported_currency`); 58 = VN (`unsupported_country`); 54 a positive integer of ≤ 13
 * digits; a merchant-account template with a GUID. A NAPAS GUID in 38 with service QRIBFTTA/QRIBFTTC
 * needs a 6-digit BIN and a 1–19 character account and yields `kind: 'napas'`; anything else well-formed
 * yields `kind: 'other'` with its GUID — the caller must not treat it as a bank transfer.
 */
export function decodeVietQr(payload: string): VietQrDecodeResult {
  try {
    return { ok: true, qr: decodeOrThrow(payload) };
  } catch (e) {
    if (e instanceof DecodeFailure) {
      return e.field === undefined
        ? { ok: false, reason: e.reason, message: e.message }
        : { ok: false, reason: e.reason, message: e.message, field: e.field };
    }
    if (e instanceof TlvParseError) {
      return e.path === ''
        ? { ok: false, reason: e.reason, message: e.message }
        : { ok: false, reason: e.reason, message: e.message, field: e.path };
    }
    throw e;
  }
}

function decodeOrThrow(payload: string): DecodedVietQr {
  if (typeof payload !== 'string' || payload.length === 0) fail('bad_format', 'the payload is empty');
  if (Array.from(payload).length > MAX_PAYLOAD_LENGTH) {
    fail('too_long', `the payload exceeds ${MAX_PAYLOAD_LENGTH} characters`);
  }
  const tail = CRC_TAIL.exec(payload);
  if (!tail) {
    if (/6304[0-9A-Fa-f]{4}$/.test(payload))
      fail('bad_format', 'the CRC must be 4 upper-case hex digits', '63');
    fail('missing_field', 'the payload must end with the CRC field 6304 + 4 hex digits', '63');
  }
  const crc = tail[1] ?? '';
  const expected = crc16CcittFalse(payload.slice(0, -4));
  if (expected !== crc) fail('crc_mismatch', `CRC is ${crc} but the content hashes to ${expected}`, '63');

  const fields = parseTlv(payload);
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.tag)) fail('duplicate_field', `field ${f.tag} appears more than once`, f.tag);
    seen.add(f.tag);
  }
  if (fields[0]?.tag !== '00') fail('field_order', 'the payload format indicator (00) must come first', '00');
  if (fields[0].value !== '01') fail('bad_format', 'the payload format indicator (00) must be 01', '00');
  if (fields.at(-1)?.tag !== '63' || fields.at(-1)?.length !== 4) {
    fail('field_order', 'the CRC (63) must be the last field', '63');
  }

  for (const f of fields) if (isTemplateTag(f.tag)) f.children = parseAt(f.value, f.tag);

  const init = get(fields, '01')?.value;
  if (init === undefined) fail('missing_field', 'the point of initiation (01) is missing', '01');
  if (init !== '11' && init !== '12')
    fail('bad_format', 'the point of initiation (01) must be 11 or 12', '01');

  const currency = get(fields, '53')?.value;
  if (currency !== undefined && currency !== VND_NUMERIC) {
    fail('unsupported_currency', `the currency (53) must be 704 (VND), got ${currency}`, '53');
  }
  const country = get(fields, '58')?.value;
  if (country === undefined) fail('missing_field', 'the country code (58) is missing', '58');
  if (country !== 'VN') fail('unsupported_country', `the country code (58) must be VN, got ${country}`, '58');

  const amountText = get(fields, '54')?.value;
  let amount: number | undefined;
  if (amountText !== undefined) {
    if (!/^[1-9]\d{0,12}$/.test(amountText)) {
      fail('bad_format', `the amount (54) must be a positive whole number of VND, got "${amountText}"`, '54');
    }
    amount = Number(amountText);
  }

  const additional = get(fields, '62')?.children ?? [];
  const optional = {
    ...(amount !== undefined && { amount }),
    ...pick(additional, '08', 'purpose'),
    ...pick(additional, '01', 'billNumber'),
    ...pick(additional, '05', 'reference'),
    ...pick(additional, '07', 'terminal'),
    ...pick(fields, '52', 'merchantCategory'),
    ...pick(fields, '59', 'merchantName'),
    ...pick(fields, '60', 'merchantCity'),
  };
  const base = { init, currency: VND_NUMERIC, country: 'VN', crc, fields, ...optional } as const;

  const accountTemplates = fields.filter((f) => Number(f.tag) >= 26 && Number(f.tag) <= 51);
  if (accountTemplates.length === 0) {
    fail('missing_field', 'no merchant account template (26–51, NAPAS uses 38) is present', '38');
  }
  for (const t of accountTemplates) {
    if (get(t.children ?? [], '00') === undefined) {
      fail('missing_field', `template ${t.tag} has no globally unique identifier (00)`, `${t.tag}/00`);
    }
  }

  const napas = get(fields, '38');
  const napasChildren = napas?.children ?? [];
  if (napas && get(napasChildren, '00')?.value === NAPAS_GUID) {
    const member = get(napasChildren, '01');
    if (!member) fail('missing_field', 'the NAPAS template has no beneficiary (38/01)', '38/01');
    member.children = parseAt(member.value, '38/01');
    const service = get(napasChildren, '02')?.value;
    // A NAPAS merchant payment (QRPUSH, QRCASH…) is well-formed but is not a transfer to an account.
    if (service !== 'QRIBFTTA' && service !== 'QRIBFTTC') return { kind: 'other', guid: NAPAS_GUID, ...base };
    const bankBin = get(member.children, '00')?.value;
    const account = get(member.children, '01')?.value;
    if (bankBin === undefined) fail('missing_field', 'the bank BIN (38/01/00) is missing', '38/01/00');
    if (!/^\d{6}$/.test(bankBin)) fail('bad_format', 'the bank BIN (38/01/00) must be 6 digits', '38/01/00');
    if (account === undefined) fail('missing_field', 'the account number (38/01/01) is missing', '38/01/01');
    if (account.length > 19 || !/^[A-Za-z0-9]+$/.test(account)) {
      fail('bad_format', 'the account number (38/01/01) must be 1–19 letters or digits', '38/01/01');
    }
    return { kind: 'napas', guid: NAPAS_GUID, bankBin, account, service, ...base };
  }
  const first = accountTemplates[0];
  const guid = get(first?.children ?? [], '00')?.value ?? '';
  return { kind: 'other', guid, ...base };
}

function pick<K extends string>(
  fields: readonly TlvField[],
  tag: string,
  key: K,
): Partial<Record<K, string>> {
  const f = get(fields, tag);
  return f === undefined ? {} : ({ [key]: f.value } as Partial<Record<K, string>>);
}

/**
 * The encoder input that reproduces a decoded NAPAS transfer; `encodeVietQr(toVietQrInput(qr))` equals
 * the original payload whenever that payload used only the fields the encoder writes, in canonical order.
 */
export function toVietQrInput(qr: DecodedNapasQr): VietQrInput {
  return {
    bankBin: qr.bankBin,
    account: qr.account,
    service: qr.service,
    dynamic: qr.init === '12',
    ...(qr.amount !== undefined && { amount: qr.amount }),
    ...(qr.purpose !== undefined && { purpose: qr.purpose }),
    ...(qr.billNumber !== undefined && { billNumber: qr.billNumber }),
    ...(qr.reference !== undefined && { reference: qr.reference }),
    ...(qr.terminal !== undefined && { terminal: qr.terminal }),
  };
}
