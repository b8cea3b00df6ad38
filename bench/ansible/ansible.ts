/**
 * The same rollout written the way an Ansible user would: inventory with pinned host keys, a play
 * with `serial: [1, "25%", "100%"]`, `max_fail_percentage: 0`, a block whose rescue rolls the host
 * back, then the rest of the batch (our rollback scope `batch`), and stops the play. Run as
 * `/usr/bin/time -v ansible-playbook …`, with forks = the largest batch and SSH pipelining on.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BenchFleet } from './hosts';
import { cpuSeconds, parseTimeVerbose, pidsWithCommandLine, sampleTree } from '../measure';
import { SCENARIO, scenarioWaves } from './scenario';

export const ANSIBLE_PLAYBOOK = ['/usr/bin/ansible-playbook', '/usr/local/bin/ansible-playbook'].find((p) => existsSync(p));

export const ANSIBLE_MISSING = 'ansible-playbook is not installed: `apt-get install -y ansible-core` (scripts/test.sh installs it with ensure_os_packages)';

export function ansibleVersion(): string {
  if (!ANSIBLE_PLAYBOOK) return 'not installed';
  const first = execFileSync(ANSIBLE_PLAYBOOK, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  return first.replace(/^ansible-playbook\s*/, 'ansible-core ').replace(/[[\]]/g, '').replace('core core', 'core');
}

export interface ToolRun {
  wallSeconds: number;
  /** The orchestrator's own processes: user + system, seconds. */
  cpuSeconds: number;
  peakRssMb: number;
  peakPssMb: number;
  exitCode: number;
  /** Where the tool's output went (kept until the benchmark ends). */
  logFile: string;
  /** Temporal server CPU during the run (ours only). */
  serverCpuSeconds?: number;
}

/** Writes inventory, known_hosts, ansible.cfg and the playbook for the first `count` hosts into `dir`. */
export function writeAnsibleProject(dir: string, fleet: BenchFleet, count: number): { playbook: string; config: string; inventory: string; controlDir: string } {
  mkdirSync(dir, { recursive: true });
  const hosts = fleet.hosts.slice(0, count);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${hosts.map((h) => h.knownHostsLine).join('\n')}\n`);
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(inventory, [
    '[fleet]',
    ...hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=${h.user} health_url=${h.healthUrl}`),
    '',
    '[fleet:vars]',
    `ansible_ssh_private_key_file=${fleet.clientKey}`,
    `ansible_ssh_common_args='-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts} -o BatchMode=yes'`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n'));
  const forks = Math.max(...scenarioWaves(count).map((w) => w.size));
  // Short: ssh control socket paths must stay under ~100 characters.
  const controlDir = join(dir, 'cp');
  mkdirSync(controlDir, { recursive: true });
  const config = join(dir, 'ansible.cfg');
  writeFileSync(config, [
    '[defaults]',
    `forks = ${forks}`,
    'host_key_checking = True',
    'gathering = explicit',
    'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3',
    `local_tmp = ${join(dir, 'tmp')}`,
    'stdout_callback = default',
    '',
    '[ssh_connection]',
    'pipelining = True',
    `control_path_dir = ${controlDir}`,
    // Ansible's default ssh_args: one multiplexed connection per host, kept for 60 s.
    'ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s',
    '',
  ].join('\n'));

  const uri = () => ({ url: '{{ health_url }}', status_code: 200, timeout: SCENARIO.healthTimeoutS });
  // Fetched from the control node, as our worker fetches it: `delegate_to: localhost`.
  const healthTask = (name: string, register: string) => ({
    name, 'ansible.builtin.uri': uri(), delegate_to: 'localhost', register,
    until: `${register}.status == 200`, retries: SCENARIO.healthAttempts - 1, delay: SCENARIO.healthIntervalS,
  });
  const rollback = (name: string) => ({ name, 'ansible.builtin.shell': SCENARIO.rollbackCommand('{{ previous.stdout | quote }}') });
  const batchFailed = "ansible_play_batch | map('extract', hostvars) | map(attribute='health_failed', default=false) | select | list | length > 0";
  const play = {
    name: `roll out ${SCENARIO.targetVersion}`,
    hosts: 'fleet',
    gather_facts: false,
    serial: [SCENARIO.canary, ...SCENARIO.batches],
    max_fail_percentage: SCENARIO.failureThreshold,
    tasks: [
      {
        block: [
          { name: 'record installed version', 'ansible.builtin.shell': SCENARIO.checkCommand, register: 'previous', changed_when: false },
          { name: 'apply', 'ansible.builtin.shell': SCENARIO.patchCommand },
          healthTask('health', 'health'),
        ],
        rescue: [
          { ...rollback('roll back this host'), when: 'previous.stdout is defined' },
          healthTask('health after rollback', 'health_after'),
          { name: 'remember the failure', 'ansible.builtin.set_fact': { health_failed: true } },
        ],
      },
      // Rollback scope "batch": once a host failed, the hosts this batch patched go back too.
      { ...rollback('roll back the rest of the batch'), when: ['health_failed is not defined', batchFailed] },
      { ...healthTask('health after batch rollback', 'health_batch'), when: ['health_failed is not defined', batchFailed] },
      // A rescued host is not failed; failing it here lets max_fail_percentage stop the rollout.
      { name: 'halt the rollout', 'ansible.builtin.fail': { msg: 'health check failed; batch rolled back' }, when: 'health_failed is defined' },
    ],
  };
  const playbook = join(dir, 'rollout.yml');
  writeFileSync(playbook, stringify([play]));
  return { playbook, config, inventory, controlDir };
}

/** Runs the playbook once and measures it; closes the ssh masters it left behind (their CPU counted first). */
export async function runAnsible(dir: string, fleet: BenchFleet, count: number, label: string): Promise<ToolRun> {
  if (!ANSIBLE_PLAYBOOK) throw new Error(ANSIBLE_MISSING);
  const project = writeAnsibleProject(dir, fleet, count);
  const timeFile = join(dir, `${label}.time`);
  const logFile = join(dir, `${label}.log`);
  const started = Date.now();
  const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, ANSIBLE_PLAYBOOK, '-i', project.inventory, project.playbook], {
    env: { ...process.env, ANSIBLE_CONFIG: project.config, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const sampler = sampleTree(() => (child.pid ? [child.pid] : []), { detachedMarkers: [project.controlDir], exclude: (pid) => pid === child.pid });
  const exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const wallSeconds = (Date.now() - started) / 1000;
  const tree = sampler.stop();
  // The ControlPersist masters outlive ansible-playbook: read their CPU, then close them.
  const masters = pidsWithCommandLine(project.controlDir);
  const mastersCpu = masters.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  for (const pid of masters) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  writeFileSync(logFile, output);
  const time = parseTimeVerbose(readFileSync(timeFile, 'utf8'));
  return {
    wallSeconds,
    cpuSeconds: time.userSeconds + time.systemSeconds + Math.max(mastersCpu, tree.detachedCpuSeconds),
    peakRssMb: Math.max(tree.peakRssMb, time.maxRssMb),
    peakPssMb: tree.peakPssMb,
    exitCode,
    logFile,
  };
}
