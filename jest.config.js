// Jest runs TypeScript through ts-jest (transpile only; `tsc` type-checks separately).
// NODE_OPTIONS=--experimental-vm-modules is set by `npm test`: @octokit/rest is ESM-only.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
  // A data directory per test file (test/helpers/dataDir.ts).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/dataDir.ts'],
  // Real servers on 2 cores: a slow-but-correct run must not be cut off; tests keep their own deadlines.
  testTimeout: 180_000,
  // Real servers (Temporal, sshd) and two cores: files run two at a time.
  maxWorkers: 2,
};
