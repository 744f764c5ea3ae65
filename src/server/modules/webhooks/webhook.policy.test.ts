import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { bodyOf } from './webhook.dispatcher.js';
import { redactUrl } from './webhook.events.js';
import {
  afterFailure,
  dealReferences,
  isDelivered,
  isWebhookEvent,
  RETRY_CAP_SECONDS,
  retryDelaySeconds,
  subscriptionMatches,
} from './webhook.policy.js';
import { createWebhookSchema } from './webhook.schema.js';
import { clip, parseRetryAfter } from './webhook.sender.js';
import {
  generateSecret,
  isSealed,
  openSecret,
  sealSecret,
  secretHint,
  sign,
  signatureHeader,
  verifySignature,
} from './webhook.signature.js';

/** The pure rules of webhooks: matching, R-CRM-009, the retry schedule, signatures and sealed secrets. */

const DEAL = '01900000-0000-7000-8000-0000000000d1';
const OTHER_DEAL = '01900000-0000-7000-8000-0000000000d2';

function envelope(type: string, data: unknown, aggregate = { type: 'deal', id: DEAL }): EventEnvelope {
  return {
    id: '01900000-0000-7000-8000-0000000000e1',
    type,
    workspace_id: '01900000-0000-7000-8000-0000000000a1',
    occurred_at: '2026-03-01T00:00:00.000Z',
    aggregate,
    actor: { type: 'user', id: '01900000-0000-7000-8000-0000000000b1' },
    request_id: 'r1',
    data,
  };
}

describe('which events reach which subscription', () => {
  it('exact types, prefix patterns and *', () => {
    expect(subscriptionMatches(['deal.won'], 'deal.won')).toBe(true);
    expect(subscriptionMatches(['deal.won'], 'deal.lost')).toBe(false);
    expect(subscriptionMatches(['deal.*'], 'deal.stage_changed')).toBe(true);
    expect(subscriptionMatches(['deal.*'], 'dealer.created')).toBe(false);
    expect(subscriptionMatches(['account.*', 'deal.won'], 'account.updated')).toBe(true);
    expect(subscriptionMatches(['*'], 'activity.logged')).toBe(true);
    expect(subscriptionMatches(['contact.*'], 'activity.logged')).toBe(false);
  });

  it('webhook.* events are never delivered (loops)', () => {
    expect(isWebhookEvent('webhook.created')).toBe(true);
    expect(isWebhookEvent('webhook.ping')).toBe(true);
    expect(isWebhookEvent('webhooks_are_fun.created')).toBe(false);
    expect(isWebhookEvent('deal.won')).toBe(false);
  });

  it('event type patterns are validated; webhook.* cannot be subscribed to', () => {
    const ok = (event_types: string[]) =>
      createWebhookSchema.safeParse({ url: 'https://hooks.example.com/', event_types }).success;
    expect(ok(['*'])).toBe(true);
    expect(ok(['deal.*', 'deal.won', 'exchange_rate.created', 'deal.win_loss_recorded'])).toBe(true);
    expect(ok([])).toBe(false);
    expect(ok(['Deal.won'])).toBe(false);
    expect(ok(['deal.'])).toBe(false);
    expect(ok(['deal*'])).toBe(false);
    expect(ok(['*.won'])).toBe(false);
    expect(ok(['webhook.*'])).toBe(false);
    expect(ok(['webhook.created'])).toBe(false);
    expect(ok(Array.from({ length: 51 }, (_, i) => `t${i}.x`))).toBe(false);
    const parsed = createWebhookSchema.parse({
      url: 'https://a.example/',
      event_types: ['deal.*', 'deal.*'],
    });
    expect(parsed.event_types).toEqual(['deal.*']);
    expect(parsed.active).toBe(true);
  });
});

describe('redactUrl', () => {
  it('drops the query (often a token) and fragment, keeps where it points', () => {
    expect(redactUrl('https://hooks.example.com/crm?token=abc&x=1')).toBe('https://hooks.example.com/crm?…');
    expect(redactUrl('https://hooks.example.com:8443/a/b')).toBe('https://hooks.example.com:8443/a/b');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
});

describe('dealReferences (R-CRM-009)', () => {
  it('a restricted deal snapshot is refused without a lookup', () => {
    expect(dealReferences(envelope('deal.won', { deal: { id: DEAL, acl_mode: 'restricted' } }))).toEqual({
      restricted: true,
      dealIds: [],
    });
  });

  it('a default snapshot of the aggregate needs no lookup', () => {
    expect(dealReferences(envelope('deal.updated', { deal: { id: DEAL, acl_mode: 'default' } }))).toEqual({
      restricted: false,
      dealIds: [],
    });
  });

  it('an event about a deal without its ACL in the snapshot asks for a lookup', () => {
    expect(
      dealReferences(envelope('engagement.requested', { engagement: { deal_id: DEAL } })).dealIds,
    ).toEqual([DEAL]);
  });

  it('deal_id fields of other records (an activity on a deal, a VietQR code) are looked up', () => {
    const activity = envelope(
      'activity.logged',
      { activity: { id: 'x', deal_id: OTHER_DEAL } },
      { type: 'activity', id: 'x' },
    );
    expect(dealReferences(activity).dealIds).toEqual([OTHER_DEAL]);
    const top = envelope('thing.happened', { deal_id: OTHER_DEAL.toUpperCase() }, { type: 'thing', id: 'y' });
    expect(dealReferences(top).dealIds).toEqual([OTHER_DEAL]);
    const none = envelope('account.updated', { account: { id: 'a' } }, { type: 'account', id: 'a' });
    expect(dealReferences(none)).toEqual({ restricted: false, dealIds: [] });
    expect(dealReferences(envelope('x.y', null, { type: 'x', id: 'z' }))).toEqual({
      restricted: false,
      dealIds: [],
    });
    // Not a UUID (it would break the lookup's cast): ignored.
    const odd = envelope('x.y', { deal_id: '-'.repeat(36), thing: { deal_id: 42 } }, { type: 'x', id: 'z' });
    expect(dealReferences(odd).dealIds).toEqual([]);
  });
});

describe('the retry schedule', () => {
  it('doubles from 30 s to a 6 h cap, with jitter of ±20 %', () => {
    const mid = Array.from({ length: 14 }, (_, i) => retryDelaySeconds(i + 1, 0.5));
    expect(mid.slice(0, 11)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600]);
    expect(mid.slice(11)).toEqual([21600, 21600, 21600]);
    expect(retryDelaySeconds(1, 0)).toBe(24);
    expect(retryDelaySeconds(1, 0.999999)).toBe(36);
    expect(retryDelaySeconds(3, 0)).toBe(96);
    // The cap holds even with jitter upwards.
    expect(retryDelaySeconds(30, 0.999999)).toBe(RETRY_CAP_SECONDS);
    for (let a = 1; a <= 20; a++) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.9999]) {
        const d = retryDelaySeconds(a, r);
        expect(d).toBeGreaterThanOrEqual(1);
        expect(d).toBeLessThanOrEqual(RETRY_CAP_SECONDS);
        if (a > 1) expect(d).toBeGreaterThanOrEqual(retryDelaySeconds(a - 1, r));
      }
    }
  });

  it("a receiver's Retry-After is honoured when longer, never past the cap", () => {
    expect(retryDelaySeconds(1, 0.5, 120)).toBe(120);
    expect(retryDelaySeconds(1, 0.5, 5)).toBe(30);
    expect(retryDelaySeconds(1, 0.5, 999_999)).toBe(RETRY_CAP_SECONDS);
  });

  it('Retry-After: seconds or an HTTP date', () => {
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(' 7 ')).toBe(7);
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(parseRetryAfter('Sun, 01 Mar 2026 00:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Sat, 28 Feb 2026 00:00:00 GMT', now)).toBe(0);
  });

  it('2xx delivers; the last allowed failure is a dead letter', () => {
    expect([200, 201, 202, 204, 299].every(isDelivered)).toBe(true);
    expect([null, 100, 301, 302, 304, 400, 404, 410, 429, 500, 503].some(isDelivered)).toBe(false);
    expect(afterFailure(1, 12)).toBe('failed');
    expect(afterFailure(11, 12)).toBe('failed');
    expect(afterFailure(12, 12)).toBe('dead');
    expect(afterFailure(13, 12)).toBe('dead');
    expect(afterFailure(1, 1)).toBe('dead');
  });

  it('clip keeps text the database can hold', () => {
    expect(clip('a\u0000b', 10)).toBe('ab');
    expect(clip('x'.repeat(50), 10)).toHaveLength(10);
  });
});

describe('signatures', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"id":"evt_1","type":"deal.won"}';

  it('v1 = hex HMAC-SHA256(secret as UTF-8, "<timestamp>.<body>")', () => {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(`1700000000.${body}`)
      .digest('hex');
    expect(sign(secret, 1700000000, body)).toBe(expected);
    expect(signatureHeader([secret], 1700000000, body)).toBe(`v1=${expected}`);
    // A fixed vector, so a change of scheme cannot pass unnoticed (receivers depend on it).
    expect(sign('whsec_test', 1, '{}')).toBe(createHmac('sha256', 'whsec_test').update('1.{}').digest('hex'));
  });

  it('verifies, and refuses a changed body, another secret, a stale or odd timestamp', () => {
    const ts = 1700000000;
    const header = signatureHeader([secret], ts, body);
    const base = { secret, header, timestamp: String(ts), body, nowSeconds: ts + 10 };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, body: `${body} ` })).toBe(false);
    expect(verifySignature({ ...base, secret: generateSecret() })).toBe(false);
    expect(verifySignature({ ...base, nowSeconds: ts + 301 })).toBe(false);
    expect(verifySignature({ ...base, nowSeconds: ts - 301 })).toBe(false);
    expect(verifySignature({ ...base, timestamp: `${ts}.5` })).toBe(false);
    expect(verifySignature({ ...base, header: 'v1=zz' })).toBe(false);
    expect(verifySignature({ ...base, header: `v2=${sign(secret, ts, body)}` })).toBe(false);
  });

  it('during a rotation both secrets sign, and either verifies', () => {
    const next = generateSecret();
    const ts = 1700000000;
    const header = signatureHeader([next, secret], ts, body);
    expect(header.split(' ')).toHaveLength(2);
    for (const s of [next, secret]) {
      expect(verifySignature({ secret: s, header, timestamp: String(ts), body, nowSeconds: ts })).toBe(true);
    }
  });

  it('secrets: whsec_ + 32 random bytes; the hint shows the last 4 characters only', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
    expect(secretHint(a)).toBe(`whsec_…${a.slice(-4)}`);
  });

  it('sealed at rest with AES-256-GCM when a key is configured', () => {
    const key = 'k'.repeat(40);
    const sealed = sealSecret(secret, key);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealSecret(secret, key)).not.toBe(sealed); // a fresh IV each time
    expect(openSecret(sealed, key)).toBe(secret);
    expect(() => openSecret(sealed, undefined)).toThrow(/WEBHOOK_SECRET_KEY is not set/);
    expect(() => openSecret(sealed, 'x'.repeat(40))).toThrow(/differs/);
    const [iv, tag, ct] = sealed.slice('enc:v1:'.length).split('.');
    expect(() => openSecret(`enc:v1:${iv}.${tag}.${ct?.slice(0, -2)}AA`, key)).toThrow(/differs/);
    expect(() => openSecret('enc:v1:broken', key)).toThrow(/malformed/);
    // Without a key it is stored as is (and says so: secret_storage = plaintext).
    expect(sealSecret(secret, undefined)).toBe(secret);
    expect(openSecret(secret, key)).toBe(secret);
  });

  it('the body is the envelope in its documented key order', () => {
    const e = envelope('deal.won', { deal: { id: DEAL } });
    const shuffled = Object.fromEntries(Object.entries(e).reverse()) as unknown as EventEnvelope;
    expect(Object.keys(shuffled)[0]).toBe('data');
    expect(Object.keys(JSON.parse(bodyOf(shuffled)))).toEqual([
      'id',
      'type',
      'workspace_id',
      'occurred_at',
      'aggregate',
      'actor',
      'request_id',
      'data',
    ]);
  });
});
