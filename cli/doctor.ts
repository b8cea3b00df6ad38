import { accessSync, constants, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { parseEnvironment, type Environment } from '../policies/common/environment';
import { expandHome } from '../activities/hosts/ssh';
import { describeTransport, explainConnectFailure } from '../control/tlsDiagnosis';
import { payloadKeyringFromEnvironment } from '../control/codec';
import { clientConnectionOptions, temporalTargetFromEnvironment } from '../control/connection';
import { loadDependencies } from '../control/dependencies';
import { checkGitHubTokens } from '../control/githubToken';
import { EXIT } from './errors';
import { findTemporalCli, TEMPORAL_CLI_HINT } from './temporalCli';
import { activityTaskQueue, SERVED_QUEUES, type ServedQueue } from '../policies/common/taskQueues';
import { bundledRenovatePath, renovateVersion } from '../activities/renovate/lookup';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

const MIN_NODE = [24, 11] as const;

/** Every check runs, whatever failed before it; each says ok/fail and, on failure, what to do. */
export async function runDoctorChecks(envVars: NodeJS.ProcessEnv = process.env, options: { files?: string[] } = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  checks.push({ name: 'node', ok: nodeOk, detail: `Node ${process.versions.node}`, ...(nodeOk ? {} : { hint: `Node >= ${MIN_NODE.join('.')} is needed; scripts/bootstrap.sh brings it into .tools/` }) });

  const cli = findTemporalCli(envVars);
  let cliDetail = 'not found';
  if (cli) {
    try {
      cliDetail = `${execFileSync(cli.path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim()} (${cli.path}, from ${cli.source})`;
    } catch (err) {
      cliDetail = `${cli.path} does not run: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  checks.push({ name: 'temporal-cli', ok: cli !== undefined && !cliDetail.includes('does not run'), detail: cliDetail, ...(cli ? {} : { hint: `${TEMPORAL_CLI_HINT} (only \`maint dev\` needs it)` }) });

  let env: Environment | undefined;
  try {
    env = parseEnvironment(envVars);
    checks.push({ name: 'environment', ok: true, detail: `namespace ${env.TEMPORAL_NAMESPACE}, task queue ${env.MAINT_TASK_QUEUE}` });
  } catch (err) {
    checks.push({ name: 'environment', ok: false, detail: err instanceof Error ? err.message : String(err), hint: 'see "Configuration" in the README' });
  }

  if (env) checks.push(payloadKeyCheck(env));
  if (env) await temporalChecks(env, checks);
  else checks.push({ name: 'temporal-server', ok: false, detail: 'not checked: the environment is invalid' });

  // What a worker needs depends on what it serves (MAINT_TASK_QUEUES): SSH for host steps,
  // Renovate, git and npm for dependency runs. A queue it does not serve is not held against it.
  const served: readonly ServedQueue[] = env?.MAINT_TASK_QUEUES ?? SERVED_QUEUES;
  if (served.includes('hosts')) checks.push(sshCredentialCheck(env, envVars));
  else checks.push({ name: 'ssh-key', ok: true, detail: `not needed: this worker serves ${served.join(', ')}, not hosts (MAINT_TASK_QUEUES)` });
  if (served.includes('dependencies')) checks.push(...dependencyToolChecks(envVars));
  if (env) checks.push(secretLimitsCheck(env));
  if (options.files !== undefined && options.files.length > 0) checks.push(...(await githubTokenChecks(options.files, envVars)));
  return checks;
}

/** With organisation files: the GitHub credentials of their `dependencies` (a classic token with admin scopes is a warning). */
async function githubTokenChecks(files: string[], envVars: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  let plans;
  try {
    plans = (await loadDependencies(files)).repositories;
  } catch (err) {
    return [{ name: 'github-token', ok: false, detail: firstLine(err) }];
  }
  const findings = await checkGitHubTokens(plans, envVars);
  return findings.map((f) => ({
    name: 'github-token', ok: f.ok,
    detail: `${f.repositories.join(', ')}: ${f.detail}`,
    ...(f.ok && !f.detail.startsWith('warning:') ? {} : { hint: 'see "GitHub credentials" in the README' }),
  }));
}

/** Renovate (pinned), git and npm: what a dependency run executes. Each named with where it was looked for. */
function dependencyToolChecks(envVars: NodeJS.ProcessEnv): DoctorCheck[] {
  const renovate = envVars.MAINT_RENOVATE_PATH ?? bundledRenovatePath();
  const from = envVars.MAINT_RENOVATE_PATH !== undefined ? 'MAINT_RENOVATE_PATH' : '.tools/renovate';
  const checks: DoctorCheck[] = [];
  try {
    accessSync(renovate, constants.X_OK);
    // `renovate --version` runs the CLI itself (a broken install fails here, not in the first scan).
    const version = execFileSync(process.execPath, [renovateScript(renovate), '--version'], { encoding: 'utf8', timeout: 60_000, env: { PATH: envVars.PATH ?? '', HOME: envVars.HOME ?? '' } }).trim();
    const same = version === renovateVersion;
    checks.push({
      name: 'renovate', ok: true,
      detail: `Renovate ${version} (${renovate}, from ${from})${same ? '' : `; warning: this code was tested with ${renovateVersion}`}`,
    });
  } catch (err) {
    checks.push({
      name: 'renovate', ok: false, detail: `${renovate} (from ${from}) ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `does not run: ${firstLine(err)}`}`,
      hint: 'run scripts/bootstrap.sh (it installs the pinned Renovate into .tools/renovate) or set MAINT_RENOVATE_PATH',
    });
  }
  for (const tool of ['git', 'npm'] as const) {
    try {
      const version = execFileSync(tool, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { PATH: envVars.PATH ?? '', HOME: envVars.HOME ?? '' } }).trim();
      checks.push({ name: tool, ok: true, detail: version });
    } catch (err) {
      checks.push({
        name: tool, ok: false, detail: `${tool} is not on PATH or does not run: ${firstLine(err)}`,
        hint: tool === 'git' ? 'install git: dependency runs clone repositories with it' : 'install npm (it comes with Node): dependency runs refresh package-lock.json with it',
      });
    }
  }
  return checks;
}

/** .bin/renovate is a `#!/usr/bin/env node` link: run its script with this Node, as the scan does. */
function renovateScript(cli: string): string {
  return realpathSync(cli);
}

async function temporalChecks(env: Environment, checks: DoctorCheck[]): Promise<void> {
  let target;
  try {
    target = temporalTargetFromEnvironment(env);
  } catch (err) {
    checks.push({ name: 'temporal-server', ok: false, detail: err instanceof Error ? err.message : String(err) });
    return;
  }
  const transport = describeTransport(target, env);
  const at = `${target.address}${transport ? ` ${transport}` : ''}`;
  let connection: Connection;
  try {
    connection = await Connection.connect(clientConnectionOptions(target, 3_000));
    const info = await connection.withDeadline(Date.now() + 3_000, () => connection.workflowService.getSystemInfo({}));
    checks.push({ name: 'temporal-server', ok: true, detail: `reachable at ${at} (server ${info.serverVersion ?? 'unknown'})` });
  } catch (err) {
    const failure = await explainConnectFailure(err, target, env);
    checks.push({
      name: 'temporal-server', ok: false,
      detail: `cannot reach ${at}: ${failure.reason.split('\n')[0] ?? ''}`,
      hint: failure.hint ?? (env.TEMPORAL_ADDRESS ? 'check TEMPORAL_ADDRESS and the network path to it' : 'start it with `maint dev`, or set TEMPORAL_ADDRESS'),
    });
    checks.push({ name: 'namespace', ok: false, detail: 'not checked: the server is not reachable' });
    return;
  }
  try {
    await connection.withDeadline(Date.now() + 3_000, () => connection.workflowService.describeNamespace({ namespace: target.namespace }));
    checks.push({ name: 'namespace', ok: true, detail: `"${target.namespace}" exists` });
    for (const served of env.MAINT_TASK_QUEUES) {
      const name = served === 'workflows' ? env.MAINT_TASK_QUEUE : activityTaskQueue(env.MAINT_TASK_QUEUE, served);
      const queue = await connection.workflowService.describeTaskQueue({ namespace: target.namespace, taskQueue: { name }, taskQueueType: served === 'workflows' ? 1 : 2 });
      const pollers = (queue.pollers ?? []).length;
      checks.push({
        name: `worker:${served}`, ok: pollers > 0,
        detail: pollers > 0 ? `${pollers} poller(s) on task queue "${name}"` : `no worker polls task queue "${name}" (${served === 'workflows' ? 'workflows' : `${served} activities`})`,
        ...(pollers > 0 ? {} : { hint: `start \`maint worker\` (or \`maint dev\`) with MAINT_TASK_QUEUE=${env.MAINT_TASK_QUEUE} and MAINT_TASK_QUEUES including ${served}` }),
      });
    }
  } catch (err) {
    checks.push({ name: 'namespace', ok: false, detail: `"${target.namespace}": ${firstLine(err)}`, hint: 'create it, or set TEMPORAL_NAMESPACE' });
  } finally {
    await connection.close();
  }
}

/** Which key encrypts (by its id, never its value): every worker and client of a namespace must agree. */
function payloadKeyCheck(env: Environment): DoctorCheck {
  try {
    const keyring = payloadKeyringFromEnvironment(env);
    if (!keyring) return { name: 'payload-key', ok: true, detail: 'none: payloads are stored in clear (set MAINT_PAYLOAD_KEY to encrypt them)' };
    const more = keyring.decryptOnly.map((k) => k.id);
    return { name: 'payload-key', ok: true, detail: `payloads encrypted with key id ${keyring.current.id}${more.length > 0 ? `; also decrypting key id ${more.join(', ')}` : ''}` };
  } catch (err) {
    return { name: 'payload-key', ok: false, detail: firstLine(err), hint: 'see "Payload encryption" in the README' };
  }
}

function sshCredentialCheck(env: Environment | undefined, envVars: NodeJS.ProcessEnv): DoctorCheck {
  const keyFile = expandHome(env?.MAINT_SSH_IDENTITY_FILE ?? '~/.ssh/id_ed25519');
  try {
    accessSync(keyFile, constants.R_OK);
    return { name: 'ssh-key', ok: true, detail: `${keyFile} is readable` };
  } catch {
    if (envVars.SSH_AUTH_SOCK) return { name: 'ssh-key', ok: true, detail: `ssh-agent at ${envVars.SSH_AUTH_SOCK} (no readable ${keyFile})` };
    return { name: 'ssh-key', ok: false, detail: `${keyFile} is not readable and SSH_AUTH_SOCK is unset`, hint: 'set MAINT_SSH_IDENTITY_FILE, identityFile in the inventory, or start an ssh-agent' };
  }
}

/** Where channels may read secrets from; unrestricted is allowed but named, with what to set. */
function secretLimitsCheck(env: Environment): DoctorCheck {
  const open = [
    ...(env.MAINT_SECRET_DIRS === undefined ? ['any file the worker can read (set MAINT_SECRET_DIRS)'] : []),
    ...(env.MAINT_SECRET_ENV_PREFIX === undefined ? ['any variable but its own configuration (set MAINT_SECRET_ENV_PREFIX)'] : []),
  ];
  const limits = [
    ...(env.MAINT_SECRET_DIRS !== undefined ? [`files in ${env.MAINT_SECRET_DIRS.join(':')}`] : []),
    ...(env.MAINT_SECRET_ENV_PREFIX !== undefined ? [`variables ${env.MAINT_SECRET_ENV_PREFIX}*`] : []),
  ];
  if (open.length === 0) return { name: 'channel-secrets', ok: true, detail: `channels may read ${limits.join(' and ')}` };
  return {
    name: 'channel-secrets',
    ok: true,
    detail: `warning: organisation files may make this worker read ${open.join(' and ')} as a channel secret${limits.length > 0 ? `; limited: ${limits.join(', ')}` : ''}`,
    hint: 'see "Channel secrets and signatures" in the README',
  };
}

export function renderDoctor(checks: DoctorCheck[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(16)} ${c.detail}${c.hint ? `\n      ${''.padEnd(16)} hint: ${c.hint}` : ''}`)
    .join('\n');
}

export function doctorExitCode(checks: DoctorCheck[]): number {
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
