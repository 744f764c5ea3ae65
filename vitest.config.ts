import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-network.ts'],
    pool: 'forks',
    // One database per worker, shared by the files it runs (each test makes its own workspace), instead
    // of one per file: PGlite start-up dominates otherwise.
    isolate: false,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits for something eventually true (a browser render, a relayed event). Its default of
    // 1 s failed CI on a loaded machine; waiting longer only costs time when the test is failing anyway.
    expect: { poll: { timeout: 10_000, interval: 100 } },
    coverage: {
      provider: 'v8',
      include: ['src/server/**/*.ts', 'src/shared/**/*.ts'],
      exclude: ['src/**/*.test.ts', 'src/shared/api-client/**', 'src/server/main.ts', 'src/server/worker.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      thresholds: { lines: 85 },
    },
  },
});
