import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint } from '../helpers/cli';

/** `maint report` refuses what it cannot do before it opens the store or Temporal, saying what was expected. */
describe('maint report: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maint-report-cli-'));
  const file = join(dir, 'maint.yaml');
  writeFileSync(file, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: support@acme.example}}
channels: [{name: mail, kind: email, smtp: {host: 127.0.0.1, port: 2525}, from: "Acme <m@acme.example>"}]
services:
  - {name: webshop, subscribers: [{name: Bakkerij Jansen, channel: mail, to: it@jansen.example, language: nl}]}
`);
  // Nowhere to connect: a command that got past its checks would fail differently (exit 3).
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1', MAINT_DATA_DIR: join(dir, 'data') };

  test.each([
    [['--month', '2026-13'], /--month.*expected a month like 2026-11/],
    [['--month', '2026-11', '--format', 'docx'], /--format must be one of json, md, html, pdf/],
    [['--month', '2026-11', '--format', 'pdf'], /--format pdf needs -o FILE/],
    [['--month', '2026-11', '--customer', 'Jansen'], /--customer Jansen: no subscriber of that name in the organisation files \(customers: Bakkerij Jansen\)/],
    [['--month', '2026-11', '--customer', 'Bakkerij Jansen', '--service', 'webshop'], /give --customer or --service, not both/],
  ])('%j is refused with exit 2', async (args, message) => {
    const result = await runMaint(['report', '-f', file, ...args], env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});
