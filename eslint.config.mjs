// The Temporal rules reviewers check (ENGINEERING.md): workflow code is deterministic — no Node
// built-ins, no I/O, no activity implementations — and no promise is left floating anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((name) => [
          { name, message: 'Workflows are deterministic: no Node built-ins. Do this in an activity.' },
          { name: `node:${name}`, message: 'Workflows are deterministic: no Node built-ins. Do this in an activity.' },
        ]),
        patterns: [
          { group: ['**/activities/**', '!**/activities/**/types', '!**/activities/types'], allowTypeImports: true,
            message: 'Workflows import activities as types only (proxyActivities).' },
          { group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', 'node-ssh', 'ssh2', 'pino'],
            message: 'Not allowed in workflow code.' },
        ],
      }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
