// The layering (README "Architecture") is enforced by ESLint: each fence fails on a deliberate
// violation, and the same import is fine where the layering allows it. The code is linted as if it
// lived at the given path (nothing is written); type-aware rules are off, the fences do not need them.
import { ESLint } from 'eslint';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/consistent-type-imports': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint fences between layers', () => {
  it.each([
    ['policies/common/probe.ts', "import { readFileSync } from 'node:fs';", /policies\/ is pure/],
    ['policies/common/probe.ts', "import { readFileSync } from 'fs';", /policies\/ is pure/],
    ['policies/windows/probe.ts', "import { Client } from '@temporalio/client';", /no Temporal/],
    ['policies/windows/probe.ts', "import { LineLogger } from '../../activities/log';", /innermost layer/],
    ['activities/renovate/probe.ts', "import { CliError } from '../../cli/errors';", /may not import the faces/],
    ['bench/ansible/probe.ts', "import { until } from '../../test/helpers/until';", /harness\//],
    ['harness/probe.ts', "import { until } from '../test/helpers/until';", /harness\//],
    ['workflows/probe.ts', "import { readFileSync } from 'node:fs';", /deterministic/],
  ])('%s: %s is refused', async (file, code, message) => {
    const messages = await restricted(file, code);
    expect(messages).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['cli/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['cli/probe.ts', "import { CliError } from './errors';"],
    ['activities/renovate/probe.ts', "import { shellQuote } from '../../policies/common/shell';"],
    ['bench/ansible/probe.ts', "import { freePort } from '../../harness/ports';"],
    ['test/unit/probe.ts', "import { until } from '../helpers/until';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
