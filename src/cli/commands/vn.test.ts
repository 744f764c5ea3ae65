import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The real binary entry, as a user runs it (`npx cyberos-crm vn …`). */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, MST_REGISTRY_URL: '' },
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

describe('cyberos-crm vn', () => {
  it('mst: valid codes exit 0, invalid ones exit 4 with the reason', async () => {
    const ok = await cli('vn', 'mst', '0100109106-001', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true, kind: 'branch', display: '0100109106-001' });
    const bad = await cli('vn', 'mst', '0314409058-000', '--json');
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.out)).toMatchObject({ valid: false, reason: 'mst_branch_invalid' });
  });

  it('vietqr decode: fields of a transfer, or the reason it is refused', async () => {
    const ok = await cli(
      'vn',
      'vietqr',
      'decode',
      '00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C',
      '--json',
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({
      valid: true,
      bankBin: '970415',
      amount: 120000,
      purpose: 'ung ho lu lut',
    });
    const bad = await cli('vn', 'vietqr', 'decode', '000201010211', '--json');
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.out).valid).toBe(false);
  });

  it('salutation: the form, call name and reasons', async () => {
    const r = await cli('vn', 'salutation', 'Nguyễn Văn Tuấn', '--birth-year', '1950', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      salutation: 'Ông',
      callName: 'Tuấn',
      gender: 'male',
      display: 'Ông Tuấn',
    });
    const usage = await cli('vn', 'salutation', 'Lan', '--gender', 'x');
    expect(usage.code).not.toBe(0);
  });
});
