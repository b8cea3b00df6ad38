import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { freePort } from '../../harness/ports';
import { runMaint } from '../helpers/cli';

/**
 * Two deployments in one namespace, one with payload encryption and one without: each lists
 * schedules whose memos it cannot decode (encrypted with a key it lacks, or in clear where it
 * insists on encryption). Temporal's own list fails on the first of those; ours leaves them out,
 * so each deployment's `maint apply` and `maint windows` keep working. A Temporal server of this
 * file's own: the encrypted schedules must not reach other test files' listings.
 */
describe('two deployments, encrypted and in clear, in one namespace', () => {
  let server: TestWorkflowEnvironment;
  let address: string;
  let dir: string;
  const id = randomUUID().slice(0, 6);
  const at = DateTime.now().setZone('UTC').plus({ days: 20 }).set({ hour: 22, minute: 0 });
  const org = (name: string, window: string) => `apiVersion: maint/v1
kind: Organisation
organisation: {name: ${name}, contact: {email: support@acme.example}}
services: [{name: shop}]
windows:
  - name: ${window}
    timezone: UTC
    recurrence: {kind: once, at: "${at.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 1h
    services: [shop]
    notices: {leadTimes: [1h]}
    preflight: false
`;

  beforeAll(async () => {
    const port = await freePort();
    server = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: process.env.MAINT_TEST_TEMPORAL_CLI! }, ip: '127.0.0.1', port, ui: false, extraArgs: ['--log-level', 'error'] },
    });
    address = `127.0.0.1:${port}`;
    dir = mkdtempSync(join(tmpdir(), 'maint-shared-ns-'));
  });
  afterAll(async () => {
    await server?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("each deployment applies and lists its own windows, and leaves the other's alone", async () => {
    const plainOrg = join(dir, 'plain.yaml');
    const secretOrg = join(dir, 'secret.yaml');
    writeFileSync(plainOrg, org(`Plain ${id}`, `plain-${id}`));
    writeFileSync(secretOrg, org(`Secret ${id}`, `secret-${id}`));
    const plain = { TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: `plain-${id}`, MAINT_PAYLOAD_KEY: undefined };
    const secret = { TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: `secret-${id}`, MAINT_PAYLOAD_KEY: randomBytes(32).toString('base64') };

    const first = await runMaint(['apply', '-f', plainOrg], plain);
    expect([first.code, first.stderr]).toEqual([0, '']);
    // The encrypted deployment lists a namespace holding a schedule in clear: it used to fail here.
    const second = await runMaint(['apply', '-f', secretOrg], secret);
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect(second.stdout).toMatch(new RegExp(`window-secret-${id} +create`));
    // And the one in clear lists one it cannot decode.
    const again = await runMaint(['apply', '-f', plainOrg, '--dry-run'], plain);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toMatch(new RegExp(`window-plain-${id} +unchanged`));
    expect(again.stdout).not.toContain(`secret-${id}`);
    const againSecret = await runMaint(['apply', '-f', secretOrg, '--dry-run'], secret);
    expect(againSecret.stdout).toMatch(new RegExp(`window-secret-${id} +unchanged`));
    expect(againSecret.stdout).not.toContain(`plain-${id}`);

    // Reading back what is applied (no files): each sees its own window only.
    for (const [envVars, own, other] of [[plain, `plain-${id}`, `secret-${id}`], [secret, `secret-${id}`, `plain-${id}`]] as const) {
      const listed = await runMaint(['windows', 'next', '--count', '1', '--json'], envVars);
      expect([listed.code, listed.stderr]).toEqual([0, '']);
      expect(listed.stdout).toContain(own);
      expect(listed.stdout).not.toContain(other);
    }
  });
});
