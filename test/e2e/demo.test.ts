import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMaint } from '../helpers/cli';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { freePort } from '../../harness/ports';

describe('maint demo (the README\'s first command)', () => {
  it('shows a rollout in which web-7 fails its health check and its batch is rolled back', async () => {
    const port = await freePort();
    const consolePort = await freePort();
    const demo = startMaint(['demo', '--port', String(port), '--console-port', String(consolePort), '--data-dir', mkdtempSync(join(tmpdir(), 'maint-demo-'))], { TEMPORAL_ADDRESS: '' });
    try {
      await demo.waitFor(/demo: Ctrl-C stops everything/, 150_000).catch((err: Error) => {
        throw new Error(`${err.message.slice(0, 200)}\n…\n${demo.output().slice(-3000)}`);
      });
      const out = demo.output();
      expect(out).toContain(`Temporal Web UI      http://127.0.0.1:${port + 1000}`);
      expect(out).not.toContain('no worker is polling');
      const final = out.slice(out.lastIndexOf('rollout demo-'));
      expect(final).toMatch(/^rollout demo-\S+ \(demo-web-upgrade\): rolled_back — halted in wave 2: 1 host\(s\) failed, 0 tolerated/);
      expect(final).toMatch(/web-1 +0 +healthy +1\.0\.0 +2\.0\.0/);
      expect(final).toMatch(/web-7 +2 +rolled-back +1\.0\.0 +1\.0\.0 +1 +web-7: unhealthy: .*HTTP 503/);
      expect(final).toMatch(/web-12 +3 +skipped/);

      // The console runs with it: its address and a first-run admin password are printed; signed in, it shows the rollout.
      const banner = /Operations console {3}(http:\/\/127\.0\.0\.1:\d+)\/ .*\n +first run: sign in as "admin" with password (\S+) /.exec(out);
      expect(banner?.[1]).toBe(`http://127.0.0.1:${consolePort}`);
      const browser = await launchBrowser();
      try {
        const page = await (await newContext(browser)).newPage();
        await page.goto(`${banner![1]}/`);
        await page.getByLabel('User name').fill('admin');
        await page.getByLabel('Password').fill(banner![2]!);
        await page.getByRole('button', { name: 'Sign in' }).click();
        const rollout = page.locator('article[data-rollout^="demo-"]');
        await rollout.waitFor();
        expect(await rollout.getAttribute('data-status')).toBe('rolled-back');
        expect(await rollout.locator('li[data-host="web-7"]').getAttribute('data-state')).toBe('rolled-back');
        await screenshot(page, 'console-demo-now');
      } finally {
        await browser.close();
      }
    } finally {
      expect(await demo.stop('SIGINT')).toBe(0);
    }
    expect(demo.output()).toContain('Temporal dev server stopped');
  }, 240_000);
});
