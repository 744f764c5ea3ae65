import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { contactFor, stagesOf } from '../../test/factories/deals.js';
import { buyerFor, closableDeal, sellerReady, settle } from '../../test/factories/vietnam.js';
import { type WebhookTestApp, webhookTestApp } from '../../test/factories/webhooks.js';
import { accountFor, apiKeyFor, createWorkspace, type TestWorkspace } from '../../test/factories.js';

/**
 * The CLI as a user runs it: the real entry (`node --import tsx src/cli/main.ts`, what bin/cyberos-crm.js
 * loads) as a child process, against a real server listening on 127.0.0.1, with the key in CRM_URL /
 * CRM_API_KEY or the config file in a temporary XDG_CONFIG_HOME. The app runs on a database of its own
 * (the won flow's relay and runner are drained here, and they work across workspaces).
 */

interface Run {
  code: number;
  out: string;
  err: string;
}

const ALL_SCOPES = [
  'crm.read',
  'crm.write',
  'crm.close',
  'crm.payment',
  'crm.contact.merge',
  'crm.export',
  'crm.admin',
] as const;

// Each run starts a Node process that loads the CLI (about 3 s on a busy machine): generous timeouts.
vi.setConfig({ testTimeout: 240_000 });

let t: WebhookTestApp;
let url: string;
let home: string;

beforeAll(async () => {
  t = await webhookTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  home = mkdtempSync(join(tmpdir(), 'cyberos-cli-'));
});

afterAll(async () => {
  await t?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Runs the CLI; `env` adds to a clean environment (no inherited CRM_* or config path). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.CRM_URL;
  delete base.CRM_API_KEY;
  delete base.CYBEROS_CRM_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env: { ...base, XDG_CONFIG_HOME: join(home, 'xdg-default'), ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

/** A workspace, an admin key for it, and a runner with that key in the environment. */
async function signedIn(scopes: readonly (typeof ALL_SCOPES)[number][] = ALL_SCOPES) {
  const ws = await createWorkspace(t);
  const key = await apiKeyFor(t, ws.admin, [...scopes]);
  const env = { CRM_URL: url, CRM_API_KEY: key.token };
  return { ws, key, env, run: (...args: string[]) => cli(args, env) };
}

describe('cyberos-crm login, config and exit codes', () => {
  it('login verifies the key, stores it 0600 under XDG_CONFIG_HOME; later commands use it; logout forgets it', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const xdg = join(home, 'xdg-login');
    const path = join(xdg, 'cyberos-crm', 'config.json');

    const bad = await cli(['login', '--url', url, '--api-key', 'crm_sk_not_a_key'], { XDG_CONFIG_HOME: xdg });
    expect(bad.code).toBe(6);
    expect(() => statSync(path)).toThrow();

    const ok = await cli(['login', '--url', `${url}/`, '--api-key', key.token], { XDG_CONFIG_HOME: xdg });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`workspace Workspace ${ws.slug}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      url,
      api_key: key.token,
      workspace: { id: ws.id },
    });

    const who = await cli(['whoami', '--json'], { XDG_CONFIG_HOME: xdg });
    expect(who.code, who.err).toBe(0);
    expect(JSON.parse(who.out)).toMatchObject({
      workspace: { id: ws.id },
      via: 'api_key',
      scopes: ['crm.read'],
    });

    // The environment wins over the file.
    const other = await signedIn(['crm.read']);
    const env = await cli(['whoami', '--json'], { XDG_CONFIG_HOME: xdg, CRM_API_KEY: other.key.token });
    expect(JSON.parse(env.out).workspace.id).toBe(other.ws.id);

    const out = await cli(['logout'], { XDG_CONFIG_HOME: xdg });
    expect(out.code).toBe(0);
    expect(() => statSync(path)).toThrow();
    const after = await cli(['account', 'list'], { XDG_CONFIG_HOME: xdg });
    expect(after.code).toBe(6);
    expect(after.err).toContain('not signed in');
  });

  it('CYBEROS_CRM_CONFIG names the file; usage errors exit 2, missing records 5, missing scopes 6', async () => {
    const { key, env } = await signedIn(['crm.read']);
    const file = join(home, 'custom', 'crm.json');
    const login = await cli(['login', '--url', url, '--api-key', key.token, '--json'], {
      CYBEROS_CRM_CONFIG: file,
    });
    expect(login.code, login.err).toBe(0);
    expect(JSON.parse(login.out).config).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const down = await cli(['account', 'list'], { CRM_URL: 'http://127.0.0.1:9', CRM_API_KEY: key.token });
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach the server');
    expect((await cli(['account', 'create'], env)).code).toBe(2); // --name missing
    expect((await cli(['deal', 'close', '--id', 'x', '--outcome', 'maybe'], env)).code).toBe(2);
    const missing = await cli(['account', 'get', '--id', '01900000-0000-7000-8000-000000000000'], env);
    expect(missing.code).toBe(5);
    expect(missing.err).toContain('account_not_found');
    const readOnly = await cli(['account', 'create', '--name', 'Không được phép', '--json'], env);
    expect(readOnly.code).toBe(6);
    expect(JSON.parse(readOnly.err).error.code).toBe('insufficient_scope');
  });
});

describe('cyberos-crm account and contact', () => {
  it('account create prints [mst], [create] and [audit] lines; a bad MST exits 4 naming vn_mst', async () => {
    const { ws, run } = await signedIn();
    const created = await run(
      'account',
      'create',
      '--name',
      'ACME Vietnam Co., Ltd.',
      '--type',
      'llc',
      '--mst',
      '0100109106',
    );
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^\[mst\]\s+0100109106 digits valid/m);
    const id = /account_id: (\S+)/.exec(created.out)?.[1];
    expect(id).toBeTruthy();
    expect(created.out).toMatch(/^\[audit\]\s+account\.created seq=\d+ chain=[0-9a-f]{12}…$/m);

    const bad = await run('account', 'create', '--name', 'Sai MST', '--mst', '0100109107', '--json');
    expect(bad.code).toBe(4);
    const problem = JSON.parse(bad.err).error;
    expect(problem.errors[0].field).toBe('vn_mst');

    const listed = await run('account', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')[0]).toMatch(/^id\s+name\s+mst\s+mst_status\s+lifecycle\s+country/);
    expect(listed.out).toContain('ACME Vietnam Co., Ltd.');
    expect(listed.out).not.toContain('Sai MST');

    const got = await run('account', 'get', '--id', String(id), '--json');
    expect(JSON.parse(got.out)).toMatchObject({ id, vn_mst: '0100109106', legal_type: 'llc' });
    expect(ws.id).toBeTruthy();

    const v = await run('account', 'validate-mst', '--id', String(id));
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/^\[mst\]\s+0100109106/m);
    expect(v.out).toMatch(/^\[audit\]\s+account\.mst_validated/m);
    const vBad = await run('account', 'validate-mst', '--mst', '0314409058-000');
    expect(vBad.code).toBe(4);
    expect(vBad.out).toContain('invalid (mst_branch_invalid)');
    expect((await run('account', 'validate-mst')).code).toBe(2);
  });

  it('contact create works out the salutation; contact list --account prints the seed’s table', async () => {
    const { ws, run } = await signedIn();
    const acct = await accountFor(t, ws.admin, { name: 'Công ty Lan Anh' });
    const c = await run(
      'contact',
      'create',
      '--name',
      'Nguyễn Thị Lan',
      '--account',
      acct.id,
      '--email',
      'lan@lananh.vn',
      '--phone',
      '0903 123 456',
      '--primary',
    );
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/^\[salutation\]\s+Chị Lan/m);
    await run('contact', 'create', '--name', 'Trần Văn Bình', '--account', acct.id);
    await run('contact', 'create', '--name', 'Người khác');

    const list = await run('contact', 'list', '--account', acct.id);
    expect(list.code).toBe(0);
    const lines = list.out.trim().split('\n');
    expect(lines[0]).toMatch(/^display_name\s+email\s+phone\s+salutation\s+primary\s+id$/);
    expect(lines).toHaveLength(3);
    expect(list.out).toMatch(/Nguyễn Thị Lan\s+lan@lananh\.vn\s+\+84903123456\s+Chị Lan\s+yes/);
    expect(list.out).not.toContain('Người khác');
    const json = JSON.parse((await run('contact', 'list', '--account', acct.id, '--json')).out);
    expect(json.data).toHaveLength(2);

    // merge: the duplicate's phone moves over, the duplicate is gone, the step lines say what moved.
    const dup = JSON.parse(
      (await run('contact', 'create', '--name', 'Lan Nguyen', '--phone', '0912 000 111', '--json')).out,
    ) as { id: string };
    const kept = json.data.find((x: { display_name: string }) => x.display_name === 'Nguyễn Thị Lan') as {
      id: string;
    };
    const merged = await run('contact', 'merge', kept.id, dup.id);
    expect(merged.code, merged.err).toBe(0);
    expect(merged.out).toMatch(/^\[merge\]\s+/m);
    expect(merged.out).toMatch(/^\[moved\]\s+1 channel\(s\)/m);
    const again = await run('contact', 'merge', kept.id, dup.id);
    expect(again.code).toBe(5);
  });
});

describe('cyberos-crm deal and forecast', () => {
  it('deal create, list, move (stale version → 7, refused rule → 4), close with the flow’s steps', async () => {
    const { ws, run } = await signedIn();
    await sellerReady(t, ws);
    const acct = await buyerFor(t, ws.admin, { name: 'Người mua' });
    const contact = await contactFor(t, ws, { accountId: acct.id });
    const created = await run(
      'deal',
      'create',
      '--name',
      'ACME Q3 build',
      '--account',
      acct.id,
      '--amount',
      '750,000,000',
      '--json',
    );
    expect(created.code, created.err).toBe(0);
    const deal = JSON.parse(created.out);
    expect(deal).toMatchObject({ amount_minor: 750_000_000, currency: 'VND', stage: { code: 'qualifying' } });

    const list = await run('deal', 'list', '--status', 'open');
    expect(list.out).toMatch(/ACME Q3 build\s+qualifying\s+750,000,000 VND\s+10%\s+open/);

    const moved = await run('deal', 'move', '--id', deal.id, '--to-stage', 'discovery');
    expect(moved.code, moved.err).toBe(0);
    expect(moved.out).toMatch(/^\[validate\]\s+transition qualifying → discovery allowed/m);
    expect(moved.out).toMatch(/^\[move\]\s+deal status: open {2}stage: discovery {2}probability: 25%/m);
    expect(moved.out).toMatch(/^\[audit\]\s+deal\.stage_changed/m);

    const stale = await run(
      'deal',
      'move',
      '--id',
      deal.id,
      '--to-stage',
      'proposal',
      '--version',
      String(deal.version),
    );
    expect(stale.code).toBe(7);
    expect(stale.err).toContain('version_conflict');
    // proposal needs a primary contact: the rule's refusal names it.
    const refused = await run('deal', 'move', '--id', deal.id, '--to-stage', 'proposal', '--json');
    expect(refused.code).toBe(4);
    expect(JSON.parse(refused.err).error.code).toBe('stage_transition_blocked');
    expect((await run('deal', 'move', '--id', deal.id, '--to-stage', 'nowhere')).code).toBe(4);

    const ready = await closableDeal(t, ws, { account_id: acct.id, primary_contact_id: contact });
    const closed = await run('deal', 'close', '--id', ready.id, '--outcome', 'won', '--wait', '0');
    expect(closed.code, closed.err).toBe(0);
    expect(closed.out).toMatch(/^\[close\]\s+status=won · closed_date=\d{4}-\d\d-\d\d/m);
    expect(closed.out).toMatch(/^\[audit\]\s+deal\./m);
    const again = await run('deal', 'close', '--id', ready.id, '--outcome', 'lost', '--lost-reason', 'giá');
    expect(again.code).toBe(7);

    await settle(t);
    const flow = await run('deal', 'flow', '--id', ready.id);
    expect(flow.code, flow.err).toBe(0);
    expect(flow.out).toMatch(/^\[vietqr\]\s+done · generated: code \S+ · amount=750,000,000 VND/m);
    expect(flow.out).toMatch(/^\[hoadon\]\s+done · invoice_number: \S+\/\d+/m);
    expect(flow.out).toMatch(/^\[proj\]\s+done · engagement\.requested emitted/m);
    const flowJson = JSON.parse(
      (await run('deal', 'close', '--id', ready.id, '--outcome', 'won', '--json')).out,
    );
    expect(flowJson.flow.steps.map((s: { step: string }) => s.step)).toEqual([
      'vietqr',
      'invoice',
      'engagement',
      'brain',
      'win_loss',
    ]);
  });

  it('deal vietqr prints bank, account and amount; without a receiving account the API’s 4xx comes through', async () => {
    const { ws, run } = await signedIn();
    const deal = await closableDeal(t, ws);
    const none = await run('deal', 'vietqr', '--id', deal.id);
    expect(none.code).not.toBe(0);
    expect(none.code).not.toBe(1);

    await sellerReady(t, ws);
    const q = await run('deal', 'vietqr', '--id', deal.id, '--amount', '1000000');
    expect(q.code, q.err).toBe(0);
    expect(q.out).toMatch(/^\[vietqr\]\s+generated: bank=\S+ · account=001100234567 · amount=1,000,000 VND/m);
    expect(q.out).toMatch(/^\[vietqr\]\s+payload 000201/m);
    const json = JSON.parse((await run('deal', 'vietqr', '--id', deal.id, '--json')).out);
    expect(q.out).toContain(`payload ${json.payload}`.slice(0, 40));
    const decoded = await cli(['vn', 'vietqr', 'decode', json.payload, '--json']);
    expect(JSON.parse(decoded.out)).toMatchObject({ valid: true, bankBin: '970436', amount: 750_000_000 });
  });

  it('forecast: per open stage count, total and weighted total, their sum, and the top deals', async () => {
    const { ws, run } = await signedIn();
    const stages = await stagesOf(t, ws);
    const acct = await accountFor(t, ws.admin);
    const contact = await contactFor(t, ws, { accountId: acct.id });
    const mk = (name: string, amount: number, stage: keyof typeof stages) =>
      closableDeal(t, ws, {
        name,
        amount_minor: amount,
        account_id: acct.id,
        primary_contact_id: contact,
        stage_id: stages[stage],
      });
    await mk('Lớn', 1_000_000_000, 'negotiation'); // 75% → 750,000,000
    await mk('Vừa', 400_000_000, 'proposal'); // 50% → 200,000,000
    await mk('Nhỏ', 100_000_000, 'qualifying'); // 10% → 10,000,000

    const r = await run('forecast', '--json');
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out);
    const byCode = Object.fromEntries(
      f.stages.map((s: { code: string; count: number; weighted_total: { amount_minor: number } }) => [
        s.code,
        s,
      ]),
    );
    expect(byCode.negotiation).toMatchObject({ count: 1, weighted_total: { amount_minor: 750_000_000 } });
    expect(byCode.proposal).toMatchObject({ count: 1, weighted_total: { amount_minor: 200_000_000 } });
    expect(f.totals).toMatchObject({
      count: 3,
      weighted_total: { amount_minor: 960_000_000, currency: 'VND' },
    });
    expect(f.stages.map((s: { code: string }) => s.code)).not.toContain('closed_won');
    expect(f.top_deals.map((d: { name: string }) => d.name)).toEqual(['Lớn', 'Vừa', 'Nhỏ']);

    const human = await run('forecast', '--top', '2');
    expect(human.out).toMatch(/^total\s+3\s+1,500,000,000 VND\s+960,000,000 VND$/m);
    expect(human.out).toMatch(/^negotiation\s+75%\s+1\s+1,000,000,000 VND\s+750,000,000 VND$/m);
    expect(human.out).toContain('top 2 deals by probability×value');
    expect((await run('forecast', '--range', 'soon')).code).toBe(2);
    expect((await run('forecast', '--pipeline', 'không có')).code).toBe(5);
  });
});

describe('cyberos-crm keys', () => {
  it('create shows the token once, list shows the prefix, revoke stops the key', async () => {
    const { run } = await signedIn();
    const c = await run('keys', 'create', '--name', 'ERP sync', '--scopes', 'crm.read,crm.write', '--json');
    expect(c.code, c.err).toBe(0);
    const created = JSON.parse(c.out);
    expect(created.token).toMatch(/^crm_sk_/);
    const asNew = (...args: string[]) => cli(args, { CRM_URL: url, CRM_API_KEY: created.token });
    expect((await asNew('account', 'list')).code).toBe(0);

    const list = await run('keys', 'list');
    expect(list.out).toMatch(
      new RegExp(`${created.api_key.id}\\s+ERP sync\\s+${created.api_key.token_prefix}`),
    );
    expect(list.out).not.toContain(created.token);

    const rev = await run('keys', 'revoke', '--id', created.api_key.id);
    expect(rev.code, rev.err).toBe(0);
    expect(rev.out).toMatch(/^\[key\]\s+revoked/m);
    expect((await asNew('account', 'list')).code).toBe(6);
    expect((await run('keys', 'create', '--name', 'x', '--scopes', 'crm.everything')).code).toBe(2);
  });
});

describe('cyberos-crm import and export', () => {
  let a: Awaited<ReturnType<typeof signedIn>>;
  let dir: string;
  beforeAll(async () => {
    a = await signedIn();
    dir = mkdtempSync(join(home, 'csv-'));
  });

  const count = async (ws: TestWorkspace) =>
    (await ws.admin.client.get<{ page: { total: number } }>('/crm/v1/accounts?include_total=true')).body.page
      .total;

  it('import accounts: valid rows created, refused rows in <file>.rejected.csv with the API’s error; the same file again creates nothing twice', async () => {
    const file = join(dir, 'accounts.csv');
    writeFileSync(
      file,
      '\uFEFFname,mst,legal_type,domains,province\n' +
        'Công ty Cổ phần Sữa Việt Nam,0300588569,jsc,vinamilk.com.vn;vinamilk.vn,Thành phố Hồ Chí Minh\n' +
        '"Tập đoàn ""Hòa Phát""",0900189284,jsc,,\n' +
        'Sai mã số,0100109107,llc,,\n' +
        ',,other,,\n' +
        'Loại lạ,,corporation,,\n',
    );
    const r = await a.run('import', 'accounts', file, '--json');
    expect(r.code, r.err).toBe(4);
    expect(JSON.parse(r.out)).toMatchObject({
      rows: 5,
      created: 2,
      rejected: 3,
      rejected_file: `${file}.rejected.csv`,
    });
    const rejected = parse(readFileSync(`${file}.rejected.csv`), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rejected.map((x) => x.row)).toEqual(['3', '4', '5']);
    expect(rejected[0]).toMatchObject({ name: 'Sai mã số', vn_mst: '0100109107' });
    expect(rejected[0]?.error).toMatch(/^mst_checksum_invalid: vn_mst: /);
    expect(rejected[1]?.error).toMatch(/^validation_failed: .*name/);
    expect(rejected[2]?.error).toMatch(/legal_type/);
    expect(await count(a.ws)).toBe(2);

    const human = await a.run('import', 'accounts', file);
    expect(human.out).toMatch(/^\[import\]\s+5 row\(s\): 2 created, 3 rejected/m);
    expect(await count(a.ws)).toBe(2); // replayed by the per-row Idempotency-Key, not created again

    const list = await a.run('account', 'list', '--json');
    const vinamilk = JSON.parse(list.out).data.find((x: { name: string }) => x.name.includes('Sữa'));
    expect(vinamilk).toMatchObject({
      domains: ['vinamilk.com.vn', 'vinamilk.vn'],
      addresses: [{ kind: 'headquarters', province: 'Thành phố Hồ Chí Minh' }],
    });
  });

  it('a file with an unknown column is refused whole (exit 4, nothing created)', async () => {
    const b = await signedIn();
    const file = join(dir, 'typo.csv');
    writeFileSync(file, 'name,emial\nCông ty A,a@a.vn\n');
    const r = await b.run('import', 'accounts', file);
    expect(r.code).toBe(4);
    expect(r.err).toContain('unknown column(s) emial');
    expect(await count(b.ws)).toBe(0);
  });

  it('import contacts links them to an account and reports rows the API refused', async () => {
    const b = await signedIn();
    const acct = await accountFor(t, b.ws.admin);
    const file = join(dir, 'contacts.csv');
    writeFileSync(
      file,
      'first_name,last_name,account_id,email,phone,is_primary\n' +
        `Lan,Nguyễn Thị,${acct.id},lan@example.vn,0903123456,yes\n` +
        `Bình,Trần Văn,${acct.id},not-an-email,,no\n` +
        'Hùng,Lê,,,,maybe\n',
    );
    const r = await b.run('import', 'contacts', file, '--json');
    expect(JSON.parse(r.out)).toMatchObject({ rows: 3, created: 1, rejected: 2 });
    const rejected = parse(readFileSync(`${file}.rejected.csv`), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rejected[0]?.error).toMatch(/channels/);
    expect(rejected[1]?.error).toContain('is_primary: expected yes or no');
    const list = JSON.parse((await b.run('contact', 'list', '--account', acct.id, '--json')).out);
    expect(list.data.map((c: { display_name: string }) => c.display_name)).toEqual(['Nguyễn Thị Lan']);
  });

  it('export streams every page as CSV; an export imports back into another workspace unchanged', async () => {
    const src = await signedIn();
    for (let i = 0; i < 105; i++) {
      await accountFor(t, src.ws.admin, {
        name: `Khách hàng ${String(i).padStart(3, '0')}`,
        domains: [`kh${i}.vn`],
      });
    }
    const out = join(dir, 'export-a.csv');
    const e = await src.run('export', 'accounts', '--out', out);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/^\[export\]\s+105 accounts/m);
    const rowsA = parse(readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(rowsA).toHaveLength(105);

    const dst = await signedIn();
    // Owners are members of the source workspace: the importing key's user owns the copies.
    const imp = await dst.run('import', 'accounts', out, '--no-owner', '--json');
    expect(imp.code, imp.err).toBe(0);
    expect(JSON.parse(imp.out)).toMatchObject({ rows: 105, created: 105, rejected: 0 });

    const stdout = await dst.run('export', 'accounts');
    const rowsB = parse(stdout.out, { columns: true }) as Array<Record<string, string>>;
    const strip = (rows: Array<Record<string, string>>) =>
      rows
        .map(({ id: _i, created_at: _c, owner_id: _o, ...rest }) => rest)
        .sort((x, y) => (x.name ?? '').localeCompare(y.name ?? ''));
    expect(strip(rowsB)).toEqual(strip(rowsA));

    const deals = await src.run('export', 'deals');
    expect(deals.code).toBe(0);
    expect(deals.out.split('\n')[0]).toBe(
      'id,name,account_id,primary_contact_id,amount_minor,currency,pipeline_id,stage,probability,status,expected_close_date,owner_id,tags,created_at',
    );
  });
});
