import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { InventoryUnavailableError, readInventorySource, selectHosts } from '../../inventory';
import type { PulumiHost } from '../../policies/inventory/pulumiOutputs';
import type { RolloutInput, RolloutReport } from '../../policies/rollout/types';
import { rolloutWorkflowId } from '../../workflows/patchRollout';
import { createWorker, type WorkerGroup } from '../../worker';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import type { Store } from '../../store';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');
const TOOLS = join(ROOT, '.tools', 'pulumi');

/** The Pulumi CLI scripts/pulumi-cli.sh builds (or PULUMI_CLI_PATH), if it is there and runnable. */
function pulumiCli(): string | undefined {
  const path = process.env.PULUMI_CLI_PATH || join(TOOLS, 'bin', 'pulumi');
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** Why there is no CLI: scripts/test.sh keeps pulumi-cli.sh's last words. */
function whyNoCli(): string {
  if (process.env.PULUMI_CLI_PATH) return `PULUMI_CLI_PATH=${process.env.PULUMI_CLI_PATH} is not an executable file`;
  const why = join(TOOLS, 'unavailable.txt');
  return existsSync(why) ? readFileSync(why, 'utf8').trim() : 'scripts/pulumi-cli.sh did not build the Pulumi CLI (run `bash scripts/pulumi-cli.sh`)';
}

const CLI = pulumiCli();

const STACK = 'dev';
const PROJECT = 'fleet';
const PASSPHRASE = 'maint-e2e-passphrase';
const PULUMI_ENV_KEYS = ['PULUMI_BACKEND_URL', 'PULUMI_CONFIG_PASSPHRASE', 'PULUMI_HOME', 'PULUMI_SKIP_UPDATE_CHECK', 'PULUMI_CLI_PATH'] as const;

/**
 * Issue 6: a real Pulumi engine. A stack deployed with `up()` (inline program, file backend)
 * exports the fixture's sshd hosts in the pulumi contract; the product reads it live with the
 * Automation API, and a rollout whose targets are that stack patches the selected hosts.
 */
describe('a live Pulumi stack as the inventory of a real rollout', () => {
  let fx: RolloutFixture | undefined;
  let env: TestWorkflowEnvironment | undefined;
  let tmp: string | undefined;
  let automationDir: string | undefined;
  let store: Store | undefined;
  let workDir: string;
  const savedEnv: Partial<Record<(typeof PULUMI_ENV_KEYS)[number], string | undefined>> = {};

  const source = (stack = STACK) => ({ kind: 'pulumi-stack' as const, stack, workDir, output: 'inventory', identityFile: fx!.fleet.clientKey });

  beforeAll(async () => {
    // scripts/pulumi-cli.sh builds it from the Go module proxy (5-11 min, once): a missing CLI is a failure, not a skip.
    if (!CLI) throw new Error(`the pulumi-stack e2e test needs the Pulumi CLI (.tools/pulumi/bin/pulumi or PULUMI_CLI_PATH): ${whyNoCli()}`);
    fx = await startRolloutFixture(4);
    tmp = mkdtempSync(join(tmpdir(), 'maint-pulumi-'));
    const backend = join(tmp, 'backend');
    const home = join(tmp, 'home');
    workDir = join(tmp, 'project');
    for (const d of [backend, home, workDir]) mkdirSync(d, { recursive: true });
    writeFileSync(join(workDir, 'Pulumi.yaml'), `name: ${PROJECT}\nruntime: nodejs\n`);

    const pulumiEnv = {
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_HOME: home,
      PULUMI_SKIP_UPDATE_CHECK: '1',
      PULUMI_CLI_PATH: CLI!,
    };
    for (const key of PULUMI_ENV_KEYS) savedEnv[key] = process.env[key];
    Object.assign(process.env, pulumiEnv);

    // The inventory in the pulumi contract: what an infra/ program would export for these hosts.
    const inventory: PulumiHost[] = fx.hosts.map((h, i) => ({
      id: `i-0e2e${i + 1}`,
      name: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      hostKeyFingerprint: h.hostKey,
      tags: { Role: 'web', PatchGroup: i % 2 === 0 ? 'web-a' : 'web-b', healthPort: h.tags.healthPort! },
      az: i % 2 === 0 ? 'eu-west-1a' : 'eu-west-1b',
    }));

    const { LocalWorkspace, PulumiCommand } = await import('@pulumi/pulumi/automation/index.js');
    const pulumiCommand = await PulumiCommand.get({ root: dirname(dirname(CLI!)), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: STACK, projectName: PROJECT, program: async () => ({ inventory }) },
      { envVars: pulumiEnv, pulumiCommand },
    );
    automationDir = stack.workspace.workDir;
    const started = Date.now();
    const result = await stack.up();
    console.log(`pulumi up() of stack ${PROJECT}/${STACK}: ${Date.now() - started} ms (${result.summary.result})`);
    expect(result.summary.result).toBe('succeeded');

    env = await connectTestEnv();
  }, 300_000);

  afterAll(async () => {
    const errors: unknown[] = [];
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    await attempt(() => env?.teardown());
    await attempt(() => fx?.stop());
    for (const key of PULUMI_ENV_KEYS) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
    await attempt(() => store?.close());
    for (const dir of [automationDir, tmp]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  });

  it('reads the stack output live: the 4 hosts with their pinned fingerprints, and selectors on its tags', async () => {
    const hosts = await readInventorySource(source());
    expect(hosts).toEqual(fx!.hosts.map((h, i) => ({
      name: h.name,
      address: '127.0.0.1',
      port: h.port,
      user: h.user,
      hostKey: h.hostKey,
      identityFile: fx!.fleet.clientKey,
      tags: { az: i % 2 === 0 ? 'eu-west-1a' : 'eu-west-1b', Role: 'web', PatchGroup: i % 2 === 0 ? 'web-a' : 'web-b', healthPort: h.tags.healthPort },
    })));
    expect(hosts.map((h) => h.hostKey)).toEqual(fx!.hosts.map((h) => h.hostKey));
    expect(selectHosts(hosts, 'PatchGroup=web-a').map((h) => h.name)).toEqual(['host-1', 'host-3']);
    expect(selectHosts(hosts, 'az=eu-west-1b').map((h) => h.name)).toEqual(['host-2', 'host-4']);
  });

  it('rolls out to the hosts the stack selects (PatchGroup=web-a) and leaves the others alone', async () => {
    const taskQueue = uniqueTaskQueue('pulumi-stack');
    store = await testStore();
    const worker: WorkerGroup = await createWorker({
      connection: env!.nativeConnection, namespace: 'default', taskQueue,
      deps: { ssh: new NodeSshConnector(), store },
      workflowBundle: await workflowBundle(),
    });
    const rolloutId = `t-${taskQueue}`;
    const input: RolloutInput = {
      rolloutId,
      policy: fx!.policy('waves: {canary: 1, batches: ["100%"]}\n'),
      targets: { kind: 'source', source: source(), selector: 'PatchGroup=web-a' },
    };
    const started = Date.now();
    const report = await worker.runUntil(async () => {
      const handle = await env!.client.workflow.start('patchRolloutWorkflow', { taskQueue, workflowId: rolloutWorkflowId(rolloutId), args: [input] });
      return (await handle.result()) as RolloutReport;
    });
    console.log(`rollout from the pulumi stack (2 of 4 hosts): ${Date.now() - started} ms`);

    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-3', 'healthy']]);
    expect([fx!.version(0), fx!.version(2)]).toEqual(['2.0.0', '2.0.0']);
    expect([fx!.applyCount(0), fx!.applyCount(2)]).toEqual([1, 1]);
    expect([fx!.version(1), fx!.version(3)]).toEqual(['1.0.0', '1.0.0']);
    expect([fx!.applyCount(1), fx!.applyCount(3)]).toEqual([0, 0]);
  });

  it('rejects a stack that does not exist with InventoryUnavailableError naming the stack', async () => {
    const error = await readInventorySource(source('nope')).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(InventoryUnavailableError);
    // The CLI's own reason, not the Automation API's command dump.
    expect((error as Error).message).toBe(`pulumi stack nope (${workDir}): cannot read the outputs: no stack named 'nope' found`);
    expect((error as Error).cause).toMatchObject({ name: 'StackNotFoundError' });
  });
});
