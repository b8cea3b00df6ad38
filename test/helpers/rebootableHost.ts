import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { restartSshd, type SshdHost } from '../../harness/sshdFleet';

/** What a policy's `reboot.command` runs on a {@link makeRebootable} host: the host's own "reboot". */
export const REBOOT_COMMAND = 'touch "$MAINT_HOST_DIR/reboot-requested"';

export interface RebootableHost {
  host: SshdHost;
  /** Every boot id the host has had, the first one included: one more per reboot. */
  readonly bootIds: string[];
  /** How many times the host went down and came back. */
  reboots(): number;
  /** Resolves once the next reboot has taken the host down (every process killed, port closed). */
  nextDown(): Promise<void>;
  /** Stops watching for reboot requests (after one in progress finished); fleet.stop() stops sshd. */
  stop(): Promise<void>;
}

/**
 * Makes a host of an sshd fleet reboot like a real one. Its sshd runs in a private mount namespace
 * where /run is the host's own folder, emptied on every boot like a tmpfs /run (so
 * /run/reboot-required goes away), and /proc/sys/kernel/random/boot_id is the host's own file.
 * {@link REBOOT_COMMAND} asks for a reboot: the supervisor here then kills every process of the
 * host (sshd, sessions, what they left running), keeps the port closed for `downtimeMs` (connections
 * are refused), writes a new boot id and starts sshd again on the same port with the same host key.
 * Needs root (mount namespaces, bind mounts).
 */
export async function makeRebootable(host: SshdHost, options: { downtimeMs?: number } = {}): Promise<RebootableHost> {
  if (process.getuid?.() !== 0) throw new Error('makeRebootable: needs root (its sshd runs in a private mount namespace: unshare --mount, mount --bind)');
  const downtimeMs = options.downtimeMs ?? 1500;
  const runDir = join(dirname(host.dir), 'run');
  const bootIdFile = join(dirname(host.dir), 'boot_id');
  const requested = join(host.dir, 'reboot-requested');
  const bootIds: string[] = [];
  let waiters: Array<() => void> = [];
  let inProgress: Promise<void> | undefined;
  let failure: unknown;

  const boot = async () => {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(join(runDir, 'sshd'), { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
    const bootId = randomUUID();
    writeFileSync(bootIdFile, `${bootId}\n`);
    bootIds.push(bootId);
    await restartSshd(host, {
      wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
        'mount --bind "$1" /run && mount --bind "$2" /proc/sys/kernel/random/boot_id && shift 2 && exec "$@"', 'sh', runDir, bootIdFile],
    });
  };

  const reboot = async () => {
    unlinkSync(requested);
    await killHost(host);
    for (const wake of waiters.splice(0)) wake();
    await sleep(downtimeMs);
    await boot();
  };

  // Power on: the fleet's plain sshd gives way to one in the host's own namespace.
  await killHost(host, { plainSshd: true });
  await boot();
  const watcher = setInterval(() => {
    if (inProgress !== undefined || !existsSync(requested)) return;
    inProgress = reboot().catch((err: unknown) => void (failure = err)).finally(() => (inProgress = undefined));
  }, 100);

  return {
    host,
    bootIds,
    reboots: () => bootIds.length - 1,
    nextDown: () => new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      clearInterval(watcher);
      await inProgress;
      waiters = [];
      if (failure !== undefined) throw new Error(`${host.name}: a reboot failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    },
  };
}

/**
 * Kills every process of the host, as a reboot does: all that share its sshd's mount namespace
 * (its own, never this machine's: that is checked). `plainSshd`: the fleet's sshd, not yet in a
 * namespace of its own; only it is stopped.
 */
async function killHost(host: SshdHost, options: { plainSshd?: boolean } = {}): Promise<void> {
  const sshd = host.sshd;
  const exited = sshd.exitCode !== null || sshd.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
  if (options.plainSshd) {
    sshd.kill('SIGTERM');
    return exited;
  }
  const namespace = mountNamespace(sshd.pid!);
  if (namespace === undefined) return exited; // already gone
  if (namespace === mountNamespace(process.pid)) throw new Error(`${host.name}: its sshd is not in a namespace of its own; refusing to kill by namespace`);
  // Repeat: a process may fork while the others are being killed.
  for (let round = 0; round < 50; round++) {
    const members = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && mountNamespace(Number(p)) === namespace);
    if (members.length === 0) break;
    for (const pid of members) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await sleep(20);
  }
  return exited;
}

function mountNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}
