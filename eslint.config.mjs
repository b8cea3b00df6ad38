// The rules reviewers check (ENGINEERING.md): workflow code is deterministic — no Node built-ins, no
// I/O, no activity implementations —, policies/ is pure, every arrow between layers points one way
// (policies → store → activities → workflows → control → cli/web; harness/ is what tests, bench and the
// simulator share), and no promise is left floating anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

const builtinPaths = (message) => nodeBuiltins.flatMap((name) => [{ name, message }, { name: `node:${name}`, message }]);
/** A layer may not import from these folders (relative imports, whatever the depth). */
const noImportsFrom = (folders, message) => ({ group: folders.flatMap((f) => [`./${f}/**`, `../${f}/**`, `**/../${f}/**`, `./${f}`, `../${f}`, `**/../${f}`]), message });

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
        paths: builtinPaths('Workflows are deterministic: no Node built-ins. Do this in an activity.'),
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
  {
    files: ['policies/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: builtinPaths('policies/ is pure: no Node built-ins. Do I/O in an activity, the control layer or the CLI.'),
        patterns: [
          { group: ['@temporalio/*'], message: 'policies/ is pure: no Temporal.' },
          noImportsFrom(['store', 'activities', 'workflows', 'control', 'cli', 'web', 'harness', 'test', 'bench', 'simulator', 'infra'],
            'policies/ is the innermost layer: it imports nothing of the other layers.'),
        ],
      }],
    },
  },
  {
    files: ['store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noImportsFrom(['activities', 'workflows', 'control', 'cli', 'web', 'test', 'bench', 'simulator'],
          'store/ is the data layer under activities/ and control/: it imports policies/ at most.'),
      ] }],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noImportsFrom(['cli', 'web', 'test', 'bench'], 'activities/ may not import the faces (cli/, web/) or tests; move what both need into activities/ or policies/.'),
      ] }],
    },
  },
  {
    // The monthly report e-mail prints the very page `maint report` renders.
    files: ['activities/reports/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noImportsFrom(['cli', 'test', 'bench'], 'activities/ may not import the faces (cli/) or tests.'),
        { group: ['**/web/**', '!**/web/report', '!**/web/reportPdf'], message: 'activities/reports/ may use the report renderers of web/ only.' },
      ] }],
    },
  },
  {
    files: ['control/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noImportsFrom(['cli', 'web', 'test', 'bench'], 'control/ is what every face uses: it may not import a face (cli/, web/) or tests.'),
      ] }],
    },
  },
  {
    files: ['bench/**/*.ts', 'harness/**/*.ts', 'simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noImportsFrom(['test'], 'Code shared by tests, bench and the simulator lives in harness/, not test/.'),
      ] }],
    },
  },
);
