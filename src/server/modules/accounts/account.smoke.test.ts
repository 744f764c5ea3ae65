import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { AccountJson } from './account.presenter.js';

describe('accounts smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('creates and reads back an account', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    const created = await c.post<AccountJson>('/crm/v1/accounts', { name: 'Công ty TNHH Nguyễn Văn A' });
    expect(created.status).toBe(201);
    const got = await c.get<AccountJson>(`/crm/v1/accounts/${created.body.id}`);
    expect(got.body.name).toBe('Công ty TNHH Nguyễn Văn A');
    const found = await c.get<{ data: AccountJson[] }>('/crm/v1/accounts?q=nguyen');
    expect(found.body.data.map((a) => a.id)).toEqual([created.body.id]);
  });
});
