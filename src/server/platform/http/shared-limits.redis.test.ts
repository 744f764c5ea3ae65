import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, TEST_PASSWORD } from '../../../../test/factories.js';
import { redisAnswers, type TestApp, testApp } from '../../../../test/helpers.js';
import { newId } from '../ids.js';

/**
 * With REDIS_URL, what must hold across server processes is shared: two app instances on one Redis
 * spend one rate-limit budget, see one login lockout and honour one session revocation.
 * Skipped when no Redis answers on 127.0.0.1:6379 (npm test must pass without any server).
 */

describe.skipIf(!(await redisAnswers()))('limits shared through Redis (two app instances)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const shared = { REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_MAX: 4, LOGIN_MAX_FAILURES: 2 };
    a = await testApp(shared);
    b = await testApp(shared);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  // A documentation-range address of its own per call site and run, so runs never share a budget.
  const ip = () => `2001:db8::${newId().slice(-4)}:${newId().slice(-4)}`;

  it('spends one rate-limit budget across instances', async () => {
    const from = ip();
    const hit = (app: TestApp) => app.app.inject({ method: 'GET', url: '/crm/v1/nope', remoteAddress: from });
    const statuses: number[] = [];
    for (const app of [a, b, a, b]) statuses.push((await hit(app)).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404]);
    // The fifth request of that address, on either instance, is over the shared budget of four.
    const over = await hit(a);
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBeDefined();
  });

  it('locks a login on every instance after failures on another', async () => {
    const ws = await createWorkspace(a);
    const login = (app: TestApp, password: string) =>
      app.app.inject({
        method: 'POST',
        url: '/crm/v1/auth/login',
        remoteAddress: ip(),
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: ws.admin.email, password }),
      });
    expect((await login(a, 'wrong-password-1')).statusCode).toBe(401);
    expect((await login(b, 'wrong-password-2')).statusCode).toBe(401);
    const locked = await login(b, TEST_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(JSON.parse(locked.body).code).toBe('login_locked');
  });

  it('honours on one instance a sign-out made on the other', async () => {
    const ws = await createWorkspace(a);
    // A real session (refresh family) through the API, so sign-out has a session id to revoke.
    const session = await a.app.inject({
      method: 'POST',
      url: '/crm/v1/auth/login',
      remoteAddress: ip(),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: ws.admin.email, password: TEST_PASSWORD }),
    });
    expect(session.statusCode).toBe(200);
    const token = (JSON.parse(session.body) as { tokens: { access_token: string } }).tokens.access_token;
    const me = (app: TestApp) =>
      app.app.inject({ method: 'GET', url: '/crm/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me(b)).statusCode).toBe(200);
    const out = await a.app.inject({
      method: 'POST',
      url: '/crm/v1/auth/logout',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(out.statusCode).toBe(204);
    expect((await me(b)).statusCode).toBe(401);
  });
});
