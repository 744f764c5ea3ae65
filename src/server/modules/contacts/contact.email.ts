import { promises as dns } from 'node:dns';
import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import type { MxStatus } from './contact.table.js';

/**
 * Email addresses: syntax check and lower-casing (pure), and the MX lookup (I/O, behind an interface so
 * tests never touch DNS). The lookup is advisory: a write never waits longer than its timeout and never
 * fails because of DNS — the channel is saved with `mx_status` 'unchecked' instead.
 */

const emailSyntax = z.email();

export type EmailResult = { ok: true; email: string; domain: string } | { ok: false };

/**
 * Lower-cases the whole address (local parts are case-insensitive at every real mailbox provider, and
 * one spelling per address is what makes lookups and duplicate detection work) and checks its syntax.
 * A `mailto:` prefix is accepted, as pasted from a web page.
 */
export function normalizeEmail(raw: string): EmailResult {
  const email = raw
    .normalize('NFKC')
    .trim()
    .replace(/^mailto:/i, '')
    .toLowerCase();
  if (email.length > LIMITS.email || !emailSyntax.safeParse(email).success) return { ok: false };
  return { ok: true, email, domain: email.slice(email.lastIndexOf('@') + 1) };
}

/** What an MX lookup found: mail servers, none (or no such domain), or no answer from DNS. */
export type MxLookup = 'valid' | 'no_mx' | 'unresolvable';

export interface MxResolver {
  resolveMx(domain: string): Promise<MxLookup>;
}

/** Resolver of a deployment with the check turned off (EMAIL_MX_CHECK=off). */
export const NO_MX_CHECK: MxResolver & { readonly off: true } = {
  off: true,
  resolveMx: async () => 'unresolvable',
};

/** Test double: answers from a table (default 'valid'); `delayMs` simulates a slow DNS. */
export class FakeMxResolver implements MxResolver {
  readonly calls: string[] = [];
  constructor(
    private readonly answers: Record<string, MxLookup> = {},
    private readonly options: { delayMs?: number; fallback?: MxLookup; fail?: boolean } = {},
  ) {}
  async resolveMx(domain: string): Promise<MxLookup> {
    this.calls.push(domain);
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    if (this.options.fail) throw new Error('dns exploded');
    return this.answers[domain] ?? this.options.fallback ?? 'valid';
  }
}

const NEGATIVE_CODES = new Set(['ENODATA', 'ENOTFOUND', 'NOTFOUND', 'NODATA']);

/**
 * The real adapter, on node:dns/promises. Answers are cached per domain (a CRM sees the same few
 * thousand domains over and over; a Map with TTL and a size cap is enough): definite answers for an hour,
 * "DNS did not answer" for a minute so a blip does not stick. A lookup is abandoned after `timeoutMs`.
 */
export class DnsMxResolver implements MxResolver {
  private readonly cache = new Map<string, { status: MxLookup; expires: number }>();
  private readonly query: (domain: string) => Promise<{ exchange: string }[]>;
  private readonly cancel: () => void;

  constructor(
    private readonly options: {
      timeoutMs?: number;
      maxEntries?: number;
      ttlMs?: number;
      failureTtlMs?: number;
      now?: () => number;
      /** The MX query itself (tests replace it; never real DNS in tests). */
      resolveMx?: (domain: string) => Promise<{ exchange: string }[]>;
    } = {},
  ) {
    if (options.resolveMx) {
      this.query = options.resolveMx;
      this.cancel = () => {};
    } else {
      // c-ares' own timeout/tries, so a dead server is not retried for tens of seconds behind our back.
      const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 1500, tries: 1 });
      this.query = (domain) => resolver.resolveMx(domain);
      this.cancel = () => resolver.cancel();
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async resolveMx(domain: string): Promise<MxLookup> {
    const key = domain.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) {
      // Re-insert: Map keeps insertion order, so the oldest-used entry is the first to evict.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.status;
    }
    const status = await this.lookup(key);
    const ttl =
      status === 'unresolvable' ? (this.options.failureTtlMs ?? 60_000) : (this.options.ttlMs ?? 3_600_000);
    this.cache.delete(key);
    this.cache.set(key, { status, expires: this.now() + ttl });
    const max = this.options.maxEntries ?? 10_000;
    while (this.cache.size > max) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return status;
  }

  private async lookup(domain: string): Promise<MxLookup> {
    const timeoutMs = this.options.timeoutMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<MxLookup>((resolve) => {
      timer = setTimeout(() => {
        this.cancel();
        resolve('unresolvable');
      }, timeoutMs);
      timer.unref();
    });
    const query = this.query(domain).then(
      (records): MxLookup =>
        records.some((r) => r.exchange !== '' && r.exchange !== '.') ? 'valid' : 'no_mx',
      (err: NodeJS.ErrnoException): MxLookup =>
        NEGATIVE_CODES.has(String(err.code)) ? 'no_mx' : 'unresolvable',
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Asks `resolver`, but never for longer than `deadlineMs` and never throwing: a write must not wait on
 * or fail because of DNS. A resolver that is off, slow or broken yields 'unchecked'.
 */
export async function checkMx(
  resolver: MxResolver | undefined,
  domain: string,
  deadlineMs = 2000,
): Promise<MxStatus> {
  if (!resolver || resolver === NO_MX_CHECK) return 'unchecked';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<MxStatus>((resolve) => {
    timer = setTimeout(() => resolve('unchecked'), deadlineMs);
    timer.unref();
  });
  try {
    return await Promise.race([resolver.resolveMx(domain).catch((): MxStatus => 'unchecked'), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
