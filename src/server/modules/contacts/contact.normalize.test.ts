import { describe, expect, it } from 'vitest';
import { isAppError } from '../../platform/errors.js';
import {
  channelLookupValues,
  normalizeChannel,
  normalizeChannels,
  normalizeLinkedIn,
  normalizeTelegram,
  normalizeZalo,
} from './contact.channel.js';
import { checkMx, DnsMxResolver, FakeMxResolver, NO_MX_CHECK, normalizeEmail } from './contact.email.js';
import { composeDisplayName, deriveCallName } from './contact.names.js';
import { normalizePhone, rewriteVnLegacyMobile, VN_2018_MOBILE_PREFIXES } from './contact.phone.js';

/** Pure, table-driven tests of the channel normalizers and name rules (vietnam.md §5, §6). */

describe('normalizePhone', () => {
  const valid: [string, string][] = [
    // one mobile, every usual spelling
    ['0912345678', '+84912345678'],
    ['0912 345 678', '+84912345678'],
    ['0912.345.678', '+84912345678'],
    ['0912-345-678', '+84912345678'],
    ['(0912) 345 678', '+84912345678'],
    ['+84912345678', '+84912345678'],
    ['+84 912 345 678', '+84912345678'],
    ['+84 (0) 912 345 678', '+84912345678'],
    ['84912345678', '+84912345678'],
    ['84 912 345 678', '+84912345678'],
    ['0084912345678', '+84912345678'],
    ['0084 912.345.678', '+84912345678'],
    ['  0912345678  ', '+84912345678'],
    ['０９１２３４５６７８', '+84912345678'], // full-width digits (Vietnamese IMEs)
    // new 10-digit prefixes
    ['0321234567', '+84321234567'],
    ['0701234567', '+84701234567'],
    ['0861234567', '+84861234567'],
    ['0561234567', '+84561234567'],
    // landlines (02x area codes)
    ['024 3826 1234', '+842438261234'],
    ['024.3826.1234', '+842438261234'],
    ['028 3822 1234', '+842838221234'],
    ['+84 28 3822 1234', '+842838221234'],
    ['0236 3822 123', '+842363822123'],
    // toll-free and premium
    ['1800 1234', '+8418001234'],
    ['1900 1234', '+8419001234'],
    // foreign numbers in international form
    ['+1 650 253 0000', '+16502530000'],
    ['001 650 253 0000', '+16502530000'],
    ['+65 6123 4567', '+6561234567'],
  ];
  it.each(valid)('%j → %s', (raw, e164) => {
    const r = normalizePhone(raw);
    expect(r).toMatchObject({ ok: true, e164 });
  });

  // The 2018 renumbering: every old prefix, in national and international spellings.
  const legacy: [string, string][] = Object.entries(VN_2018_MOBILE_PREFIXES).map(([old, next]) => [
    `${old}1234567`,
    `+84${next.slice(1)}1234567`,
  ]);
  it.each(legacy)('old mobile %j → %s', (raw, e164) => {
    expect(normalizePhone(raw)).toEqual({ ok: true, e164, type: 'MOBILE', rewritten: true });
  });
  const legacySpellings: [string, string][] = [
    ['0162 123 4567', '+84321234567'],
    ['0162.123.4567', '+84321234567'],
    ['0162-123-4567', '+84321234567'],
    ['+84 162 123 4567', '+84321234567'],
    ['+841621234567', '+84321234567'],
    ['841621234567', '+84321234567'],
    ['84 162 123 4567', '+84321234567'],
    ['00841621234567', '+84321234567'],
    ['0084 162 123 4567', '+84321234567'],
    ['0129 123 4567', '+84821234567'],
    ['0199 123 4567', '+84591234567'],
    ['0186 123 4567', '+84561234567'],
    ['0188 123 4567', '+84581234567'],
  ];
  it.each(legacySpellings)('old mobile spelled %j → %s', (raw, e164) => {
    expect(normalizePhone(raw)).toMatchObject({ ok: true, e164, rewritten: true });
  });

  it('does not rewrite a new number or an unrelated 11-digit one', () => {
    expect(rewriteVnLegacyMobile('0912345678')).toBe('0912345678');
    expect(rewriteVnLegacyMobile('01301234567')).toBe('01301234567');
    expect(rewriteVnLegacyMobile('+16502530000')).toBe('+16502530000');
    expect(normalizePhone('0912345678')).toMatchObject({ rewritten: false });
  });

  const invalid: [string, string][] = [
    ['', 'characters'],
    ['   ', 'characters'],
    ['+', 'characters'],
    ['0912abc678', 'characters'],
    ['call 0912345678', 'characters'],
    ['09123456789o', 'characters'],
    ['0912_345_678', 'characters'],
    ['091234', 'invalid'], // too short
    ['091234567', 'invalid'], // one digit short
    ['09123456789', 'invalid'], // one digit long
    ['0912345678901', 'invalid'],
    ['0241234567', 'invalid'], // landline one digit short
    ['01301234567', 'invalid'], // 11 digits, not an old mobile prefix
    ['++84912345678', 'characters'],
    ['000', 'invalid'],
  ];
  it.each(invalid)('rejects %j (%s)', (raw, reason) => {
    expect(normalizePhone(raw)).toEqual({ ok: false, reason });
  });
});

describe('normalizeEmail', () => {
  const valid: [string, string][] = [
    ['lan@acme.vn', 'lan@acme.vn'],
    ['  Lan.Nguyen@ACME.com.vn ', 'lan.nguyen@acme.com.vn'],
    ['mailto:lan@acme.vn', 'lan@acme.vn'],
    ['lan+crm@acme.vn', 'lan+crm@acme.vn'],
    ['lan_nguyen-1@sub.acme.vn', 'lan_nguyen-1@sub.acme.vn'],
  ];
  it.each(valid)('%j → %s', (raw, email) => {
    expect(normalizeEmail(raw)).toMatchObject({ ok: true, email, domain: email.split('@')[1] });
  });
  const invalid = [
    '',
    'lan',
    'lan@',
    '@acme.vn',
    'lan@acme',
    'lan@@acme.vn',
    'lan nguyen@acme.vn',
    'lan@acme..vn',
    'lan@-acme.vn',
    '.lan@acme.vn',
    `${'a'.repeat(250)}@acme.vn`,
  ];
  it.each(invalid)('rejects %j', (raw) => {
    expect(normalizeEmail(raw)).toEqual({ ok: false });
  });
});

describe('normalizeLinkedIn', () => {
  const canonical = 'https://www.linkedin.com/in/nguyen-thi-lan';
  const valid: [string, string][] = [
    ['https://www.linkedin.com/in/nguyen-thi-lan', canonical],
    ['https://www.linkedin.com/in/nguyen-thi-lan/', canonical],
    ['http://linkedin.com/in/nguyen-thi-lan', canonical],
    ['linkedin.com/in/nguyen-thi-lan', canonical],
    ['www.linkedin.com/in/Nguyen-Thi-Lan/', canonical],
    ['https://vn.linkedin.com/in/nguyen-thi-lan', canonical],
    ['https://www.linkedin.com/in/nguyen-thi-lan?trk=profile', canonical],
    ['https://www.linkedin.com/in/nguy%E1%BB%85n-lan', 'https://www.linkedin.com/in/nguy%E1%BB%85n-lan'],
  ];
  it.each(valid)('%j → %s', (raw, value) => {
    expect(normalizeLinkedIn(raw)).toEqual({ ok: true, value });
  });
  const invalid = [
    'https://evil.com/in/nguyen-thi-lan',
    'https://linkedin.com.evil.com/in/lan-nguyen',
    'https://www.linkedin.com/company/acme',
    'https://www.linkedin.com/in/',
    'https://www.linkedin.com/in/ab',
    'nguyen-thi-lan',
    'https://www.linkedin.com/in/a%ZZb',
  ];
  it.each(invalid)('rejects %j', (raw) => {
    expect(normalizeLinkedIn(raw).ok).toBe(false);
  });
});

describe('normalizeTelegram', () => {
  const valid: [string, string][] = [
    ['lan_nguyen', 'lan_nguyen'],
    ['@lan_nguyen', 'lan_nguyen'],
    ['@Lan_Nguyen', 'lan_nguyen'],
    ['t.me/lan_nguyen', 'lan_nguyen'],
    ['https://t.me/lan_nguyen', 'lan_nguyen'],
    ['https://t.me/lan_nguyen/', 'lan_nguyen'],
    ['https://telegram.me/lan_nguyen', 'lan_nguyen'],
    ['abcde', 'abcde'],
    ['a'.repeat(32), 'a'.repeat(32)],
  ];
  it.each(valid)('%j → %s', (raw, value) => {
    expect(normalizeTelegram(raw)).toEqual({ ok: true, value });
  });
  const invalid = [
    'abcd',
    '@abcd',
    'a'.repeat(33),
    'lan-nguyen',
    'lan nguyen',
    'https://evil.com/lan_nguyen',
    '@',
  ];
  it.each(invalid)('rejects %j', (raw) => {
    expect(normalizeTelegram(raw).ok).toBe(false);
  });
});

describe('normalizeZalo', () => {
  const valid: [string, string][] = [
    ['0912 345 678', '+84912345678'],
    ['+84912345678', '+84912345678'],
    ['01621234567', '+84321234567'],
    ['https://zalo.me/0912345678', '+84912345678'],
    ['4397432147824386212', '4397432147824386212'],
  ];
  it.each(valid)('%j → %s', (raw, value) => {
    expect(normalizeZalo(raw)).toEqual({ ok: true, value });
  });
  it.each(['lan', '091234', '0123', 'zalo.me/abc'])('rejects %j', (raw) => {
    expect(normalizeZalo(raw).ok).toBe(false);
  });
});

describe('normalizeChannels', () => {
  it('normalizes, keeps raw input and positions, and makes the first of each kind primary', () => {
    const out = normalizeChannels([
      { kind: 'phone', value: '0912 345 678' },
      { kind: 'email', value: 'Lan@Acme.vn', label: 'work' },
      { kind: 'phone', value: '024 3826 1234', is_primary: true },
    ]);
    expect(out).toEqual([
      {
        kind: 'phone',
        value: '+84912345678',
        raw_value: '0912 345 678',
        label: null,
        is_primary: false,
        position: 0,
      },
      {
        kind: 'email',
        value: 'lan@acme.vn',
        raw_value: 'Lan@Acme.vn',
        label: 'work',
        is_primary: true,
        position: 1,
      },
      {
        kind: 'phone',
        value: '+842438261234',
        raw_value: '024 3826 1234',
        label: null,
        is_primary: true,
        position: 2,
      },
    ]);
  });

  const fieldOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      if (isAppError(e)) return `${e.code}:${e.fields[0]?.field}:${e.fields[0]?.code}`;
      throw e;
    }
    return undefined;
  };

  it('names the bad entry', () => {
    expect(
      fieldOf(() =>
        normalizeChannels([
          { kind: 'phone', value: '0912345678' },
          { kind: 'email', value: 'lan@acme.vn' },
          { kind: 'phone', value: '0912' },
        ]),
      ),
    ).toBe('validation_failed:channels.2.value:invalid_phone');
    expect(fieldOf(() => normalizeChannels([{ kind: 'email', value: 'nope' }]))).toBe(
      'validation_failed:channels.0.value:invalid_email',
    );
  });

  it('rejects the same value twice in one contact, in any spelling', () => {
    expect(
      fieldOf(() =>
        normalizeChannels([
          { kind: 'phone', value: '0912 345 678' },
          { kind: 'phone', value: '+84912345678' },
        ]),
      ),
    ).toBe('validation_failed:channels.1.value:duplicate');
    // the same number as phone and as Zalo is two channels, not a duplicate
    expect(
      normalizeChannels([
        { kind: 'phone', value: '0912345678' },
        { kind: 'zalo', value: '0912345678' },
      ]),
    ).toHaveLength(2);
  });

  it('rejects two primaries of one kind', () => {
    expect(
      fieldOf(() =>
        normalizeChannels([
          { kind: 'email', value: 'a@acme.vn', is_primary: true },
          { kind: 'email', value: 'b@acme.vn', is_primary: true },
        ]),
      ),
    ).toBe('validation_failed:channels.1.is_primary:duplicate_primary');
  });

  it('normalizeChannel dispatches on kind', () => {
    expect(normalizeChannel('phone', '84912345678')).toEqual({ ok: true, value: '+84912345678' });
    expect(normalizeChannel('telegram', '@Lan_Nguyen')).toEqual({ ok: true, value: 'lan_nguyen' });
  });
});

describe('channelLookupValues', () => {
  it('reads the three phone spellings as one number', () => {
    for (const s of ['0912 345 678', '+84912345678', '84912345678']) {
      expect(channelLookupValues(s)).toContain('+84912345678');
    }
  });
  it('normalizes emails, handles and URLs; keeps unknown shapes as typed', () => {
    expect(channelLookupValues('Lan@Acme.VN')).toContain('lan@acme.vn');
    expect(channelLookupValues('@Lan_Nguyen')).toContain('lan_nguyen');
    expect(channelLookupValues('linkedin.com/in/Lan-Nguyen')).toContain(
      'https://www.linkedin.com/in/lan-nguyen',
    );
    expect(channelLookupValues('x!')).toEqual(['x!']);
    expect(channelLookupValues('  ')).toEqual([]);
  });
});

describe('names', () => {
  it.each([
    ['Thị Lan', 'Nguyễn', 'Nguyễn Thị Lan'],
    ['Văn Tuấn', 'Trần', 'Trần Văn Tuấn'],
    [' Thị  Lan ', ' Nguyễn ', 'Nguyễn Thị Lan'],
    ['Lan', null, 'Lan'],
    [null, 'Nguyễn', 'Nguyễn'],
    [null, null, null],
    ['Thi\u0323 Lan', 'Nguye\u0302\u0303n', 'Nguyễn Thị Lan'], // decomposed input → NFC
    ['Văn A', '\u00D0ặng', 'Đặng Văn A'], // U+00D0 → Đ (U+0110)
  ])('display name of first %j last %j is %j', (first, last, display) => {
    expect(composeDisplayName(first, last)).toBe(display);
  });
  it.each([
    ['Thị Lan', 'Nguyễn Thị Lan', 'Lan'],
    ['Ngọc Anh', 'Phạm Ngọc Anh', 'Anh'],
    [null, 'Nguyễn Văn Tuấn', 'Tuấn'],
    ['John', 'Smith John', 'John'],
    [null, null, null],
  ])('call name of first %j display %j is %j', (first, display, call) => {
    expect(deriveCallName(first, display)).toBe(call);
  });
});

describe('MX check', () => {
  it('never waits past its deadline nor throws', async () => {
    const slow = new FakeMxResolver({}, { delayMs: 500 });
    const started = Date.now();
    expect(await checkMx(slow, 'acme.vn', 50)).toBe('unchecked');
    expect(Date.now() - started).toBeLessThan(400);
    expect(await checkMx(new FakeMxResolver({}, { fail: true }), 'acme.vn')).toBe('unchecked');
    expect(await checkMx(NO_MX_CHECK, 'acme.vn')).toBe('unchecked');
    expect(await checkMx(undefined, 'acme.vn')).toBe('unchecked');
    expect(await checkMx(new FakeMxResolver({ 'nomail.vn': 'no_mx' }), 'nomail.vn')).toBe('no_mx');
  });

  const dnsError = (code: string) => Object.assign(new Error(code), { code });

  it('the DNS adapter maps answers and errors, and gives up after its timeout', async () => {
    const answers: Record<string, () => Promise<{ exchange: string }[]>> = {
      'acme.vn': async () => [{ exchange: 'mx.acme.vn' }],
      'null-mx.vn': async () => [{ exchange: '' }],
      'nodata.vn': async () => Promise.reject(dnsError('ENODATA')),
      'nxdomain.vn': async () => Promise.reject(dnsError('ENOTFOUND')),
      'servfail.vn': async () => Promise.reject(dnsError('ESERVFAIL')),
      'slow.vn': () => new Promise(() => {}),
    };
    const r = new DnsMxResolver({
      timeoutMs: 50,
      resolveMx: (d) => (answers[d] ?? (async () => Promise.reject(dnsError('ENOTFOUND'))))(),
    });
    expect(await r.resolveMx('acme.vn')).toBe('valid');
    expect(await r.resolveMx('null-mx.vn')).toBe('no_mx');
    expect(await r.resolveMx('nodata.vn')).toBe('no_mx');
    expect(await r.resolveMx('nxdomain.vn')).toBe('no_mx');
    expect(await r.resolveMx('servfail.vn')).toBe('unresolvable');
    const started = Date.now();
    expect(await r.resolveMx('slow.vn')).toBe('unresolvable');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the DNS adapter caches per domain, briefly for failures, and evicts the least recently used', async () => {
    let now = 0;
    const calls: string[] = [];
    let fail = true;
    const r = new DnsMxResolver({
      maxEntries: 2,
      ttlMs: 1000,
      failureTtlMs: 10,
      now: () => now,
      resolveMx: async (d) => {
        calls.push(d);
        if (d === 'flaky.vn' && fail) throw dnsError('ETIMEOUT');
        return [{ exchange: `mx.${d}` }];
      },
    });
    expect(await r.resolveMx('a.vn')).toBe('valid');
    expect(await r.resolveMx('A.VN')).toBe('valid');
    expect(calls).toEqual(['a.vn']);
    expect(await r.resolveMx('flaky.vn')).toBe('unresolvable');
    fail = false;
    expect(await r.resolveMx('flaky.vn')).toBe('unresolvable'); // cached failure
    now = 11;
    expect(await r.resolveMx('flaky.vn')).toBe('valid'); // failure TTL over
    expect(calls).toEqual(['a.vn', 'flaky.vn', 'flaky.vn']);
    // a.vn, flaky.vn cached; touching a.vn makes flaky.vn the oldest, evicted by b.vn
    await r.resolveMx('a.vn');
    await r.resolveMx('b.vn');
    await r.resolveMx('flaky.vn');
    expect(calls).toEqual(['a.vn', 'flaky.vn', 'flaky.vn', 'b.vn', 'flaky.vn']);
    now = 2000;
    await r.resolveMx('b.vn');
    expect(calls.at(-1)).toBe('b.vn'); // TTL over
  });
});
