import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { runMaint } from '../helpers/cli';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';

// Names of this file only: the Temporal server is shared by every test file.
const id = randomUUID().slice(0, 6);
const [WEEKLY, EXTRA] = [`shop-nightly-${id}`, `shop-extra-${id}`];

describe('maint apply: overlapping windows over the same service', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  // A month ahead, 22:00-02:00 in Amsterdam; the extra window 17:00-19:00 in New York the same evening.
  const day = DateTime.now().setZone('Europe/Amsterdam').plus({ days: 30 }).startOf('day');
  const nightly = day.set({ hour: 22 });
  const extra = day.setZone('America/New_York', { keepLocalTime: true }).set({ hour: 17 });
  const utc = (t: DateTime) => t.toUTC().toISO({ suppressMilliseconds: true });

  const org = (allowOverlap: boolean) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Overlaps ${id}, contact: {email: support@acme.example}}
services: [{name: shop-${id}}, {name: api-${id}}]
windows:
  - name: ${WEEKLY}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${nightly.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 4h
    services: [shop-${id}]
    notices: {leadTimes: [1h]}
    preflight: false
  - name: ${EXTRA}
    timezone: America/New_York
    recurrence: {kind: once, at: "${extra.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 2h
    services: [api-${id}, shop-${id}]
    notices: {leadTimes: [1h]}
    preflight: false
${allowOverlap ? '    allowOverlap: true\n' : ''}`;
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-overlaps-'));
  });
  afterAll(async () => {
    for (const name of [WEEKLY, EXTRA]) await env?.client.schedule.getHandle(`window-${name}`).delete().catch(() => undefined);
    await env?.teardown();
  });

  it('refuses them, before connecting anywhere, naming both windows, the shared service and the first overlap in UTC', async () => {
    const file = write('maint.yaml', org(false));
    const overlapFrom = DateTime.max(nightly, extra);
    const overlapUntil = DateTime.min(nightly.plus({ hours: 4 }), extra.plus({ hours: 2 }));
    for (const args of [['apply', '-f', file], ['apply', '-f', file, '--dry-run']]) {
      const result = await runMaint(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${file}: windows[1]: window "${EXTRA}" overlaps window "${WEEKLY}" (${file} windows[0]) on service shop-${id}: `
        + `first ${utc(overlapFrom)} to ${utc(overlapUntil)} UTC ("${WEEKLY}" runs ${utc(nightly)} to ${utc(nightly.plus({ hours: 4 }))}, "${EXTRA}" ${utc(extra)} to ${utc(extra.plus({ hours: 2 }))}); `
        + 'move one of them, or set allowOverlap: true on one if they may run at the same time');
    }
  });

  it('with allowOverlap: true, warns (also with --dry-run) and applies', async () => {
    const file = write('allowed.yaml', org(true));
    const cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('overlaps') };
    const warning = `maint: warning: ${file}: windows[1]: window "${EXTRA}" overlaps window "${WEEKLY}" (${file} windows[0]) on service shop-${id}: first ${utc(DateTime.max(nightly, extra))}`;

    const dry = await runMaint(['apply', '-f', file, '--dry-run'], cliEnv);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(warning);
    expect(dry.stdout).toContain('(dry run: nothing applied)');

    const applied = await runMaint(['apply', '-f', file], cliEnv);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toContain(warning);
    expect(applied.stdout).toMatch(new RegExp(`window-${EXTRA} +create +next run `));
    await expect(env.client.schedule.getHandle(`window-${EXTRA}`).describe()).resolves.toBeDefined();

    const json = await runMaint(['apply', '-f', file, '--dry-run', '--json'], cliEnv);
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringContaining(`window "${EXTRA}" overlaps window "${WEEKLY}"`)]);
  });
});
