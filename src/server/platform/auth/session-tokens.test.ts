import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { type AccessClaims, SessionTokens } from './session-tokens.js';

const CLAIMS: AccessClaims = {
  userId: '01a20296-a2f8-76ed-833a-ba52cbcd823e',
  workspaceId: '01a20296-a32f-763d-95a4-b232d51bd720',
  role: 'sales_rep',
  sessionId: '01a20296-a2f8-76ed-833a-000000000001',
  email: 'an.nguyen@example.vn',
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  return 'accepted';
}

afterEach(() => {
  vi.useRealTimers();
});

describe('access tokens', () => {
  it('verifies a token it issued, again from the cache, with the same claims', async () => {
    const tokens = new SessionTokens('s'.repeat(48), 900);
    const { token } = await tokens.issue(CLAIMS);
    expect(await tokens.verify(token)).toEqual(CLAIMS);
    expect(await tokens.verify(token)).toEqual(CLAIMS);
  });

  it('refuses a token once it has expired, even one verified (and cached) before', async () => {
    const tokens = new SessionTokens('s'.repeat(48), 60);
    const { token, expiresAt } = await tokens.issue(CLAIMS);
    expect(await tokens.verify(token)).toEqual(CLAIMS);
    vi.useFakeTimers({ toFake: ['Date'], now: expiresAt.getTime() + 1_000 });
    expect(await codeOf(tokens.verify(token))).toBe('token_expired');
    expect(await codeOf(tokens.verify(token))).toBe('token_expired');
  });

  it('refuses a token with an altered signature or payload, and one signed with another key', async () => {
    const tokens = new SessionTokens('s'.repeat(48), 900);
    const { token } = await tokens.issue(CLAIMS);
    await tokens.verify(token); // cached: the altered strings must still be checked on their own
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await codeOf(tokens.verify(`${header}.${payload}.${flipped}`))).toBe('token_invalid');
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    expect(await codeOf(tokens.verify(`${header}.${admin}.${signature}`))).toBe('token_invalid');
    const other = new SessionTokens('o'.repeat(48), 900);
    expect(await codeOf(other.verify(token))).toBe('token_invalid');
  });
});
