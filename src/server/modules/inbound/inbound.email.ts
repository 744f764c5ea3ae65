import { createHash } from 'node:crypto';
import PostalMime, { type Address, type Mailbox } from 'postal-mime';
import { AppError } from '../../platform/errors.js';
import { domainOf } from './inbound.domains.js';

/**
 * A raw RFC 822 message reduced to what the timeline needs. postal-mime decodes MIME (multipart,
 * transfer encodings, RFC 2047 encoded-words, charsets) and renders an HTML-only body to text;
 * attachments are listed (name, type, size), never kept.
 */

export interface Participant {
  /** Lower-cased address as contact channels store it. */
  address: string;
  name: string | null;
  /** Normalized (punycode) domain. */
  domain: string;
  role: 'from' | 'to' | 'cc' | 'bcc';
}

export interface ParsedEmail {
  /** The source event id: Message-ID without angle brackets, or a stable `sha256:` fallback. */
  eventId: string;
  messageIdPresent: boolean;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  text: string;
  date: Date | null;
  participants: Participant[];
  attachments: Array<{ filename: string | null; mime_type: string; size: number }>;
}

/** Message-IDs as the timeline keeps them (activities allow 300 characters; longer ones are hashed). */
const MAX_EVENT_ID = 300;

/** PostgreSQL text and jsonb cannot hold U+0000: a hostile message must not turn into a 500. */
export const dropNul = (s: string): string => s.replaceAll('\u0000', '');
const lowerAddress = (a: string) => dropNul(a).normalize('NFKC').trim().toLowerCase();

function stripBrackets(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}

function idList(v: string | undefined): string[] {
  if (!v) return [];
  return (v.match(/<[^<>\s]+>/g) ?? v.split(/\s+/)).map(stripBrackets).filter((s) => s !== '');
}

function mailboxes(list: Address[] | Address | undefined): Mailbox[] {
  if (!list) return [];
  const arr = Array.isArray(list) ? list : [list];
  return arr.flatMap((a) => (a.group ? a.group : [a]));
}

const bad = (field: string, message: string) =>
  new AppError('validation_failed', message, {
    fields: [{ field, pointer: '', in: 'body', code: 'invalid', message }],
  });

function eventIdOf(messageId: string | null, fallbackParts: string[]): string {
  if (messageId) {
    return messageId.length <= MAX_EVENT_ID
      ? messageId
      : `sha256:${createHash('sha256').update(messageId).digest('hex')}`;
  }
  return `sha256:${createHash('sha256').update(fallbackParts.join('\n')).digest('hex')}`;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  laquo: '«',
  raquo: '»',
  copy: '©',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp =
        e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && cp !== 0 ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/**
 * An HTML-only body as plain text for the timeline: blocks and line breaks become new lines, scripts,
 * styles and comments disappear, tags are dropped, entities decoded. (The timeline renders markdown with
 * raw HTML disabled, so nothing here reaches a browser as markup.)
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<li\b[^>]*>/gi, '\n- ')
      .replace(/<\/(p|div|h[1-6]|li|tr|blockquote|section|article|ul|ol|table)\s*>/gi, '\n')
      .replace(/<(p|div|h[1-6]|tr|blockquote|ul|ol|table)\b[^>]*>/gi, '\n')
      .replace(/<\/t[dh]\s*>/gi, '\t')
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n[ \t\u00a0]+/g, '\n')
    .replace(/[ \t\u00a0]{2,}/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Parses a raw message. 422 `validation_failed` naming the header when the input is not a mail message
 * (no From with an address, no recipient, or no header block at all). A message without Message-ID
 * gets a stable fallback id: sha256 over From, recipients, Date, Subject and body, so a retried
 * delivery of the same bytes is still recognized.
 */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  if (raw.length === 0) throw bad('body', 'The body is empty: send the raw RFC 822 message');
  let email: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  } catch (e) {
    throw bad('body', `Not a parseable MIME message: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (email.headers.length === 0) {
    throw bad(
      'body',
      'Not an RFC 822 message: no header block (a message starts with headers such as From:)',
    );
  }
  const participants: Participant[] = [];
  const seen = new Set<string>();
  const add = (role: Participant['role'], list: Address[] | Address | undefined) => {
    for (const m of mailboxes(list)) {
      if (!m.address) continue;
      const address = lowerAddress(m.address);
      const domain = domainOf(address);
      if (!domain || seen.has(address)) continue;
      seen.add(address);
      participants.push({ address, name: dropNul(m.name ?? '').trim() || null, domain, role });
    }
  };
  add('from', email.from);
  if (participants.length === 0) throw bad('From', 'The From header must name a sender address');
  add('to', email.to);
  add('cc', email.cc);
  add('bcc', email.bcc);
  const recipients = [email.to, email.cc, email.bcc].flatMap((l) => mailboxes(l)).filter((m) => m.address);
  if (recipients.length === 0) throw bad('To', 'The message names no recipient address (To, Cc or Bcc)');
  const messageId = email.messageId ? stripBrackets(dropNul(email.messageId)) || null : null;
  const date = email.date ? new Date(email.date) : null;
  const subject = dropNul(email.subject ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const plain = dropNul(email.text ?? '')
    .replace(/\r\n/g, '\n')
    .trim();
  const text = plain || (email.html ? htmlToText(dropNul(email.html)) : '');
  const eventId = eventIdOf(messageId, [
    participants.map((p) => `${p.role}:${p.address}`).join(','),
    date && !Number.isNaN(date.getTime()) ? date.toISOString() : '',
    subject,
    text,
  ]);
  return {
    eventId,
    messageIdPresent: messageId !== null,
    inReplyTo: idList(email.inReplyTo && dropNul(email.inReplyTo))[0] ?? null,
    references: idList(email.references && dropNul(email.references)),
    subject,
    text,
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    participants,
    attachments: email.attachments.map((a) => ({
      filename: a.filename === null ? null : dropNul(a.filename),
      mime_type: a.mimeType,
      size: typeof a.content === 'string' ? Buffer.byteLength(a.content) : a.content.byteLength,
    })),
  };
}
