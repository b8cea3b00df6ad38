import { becomeProbeScript, becomeProblem, type Become } from './become';

/** What `maint hosts facts` reports for one host. */
export interface HostFacts {
  hostname: string;
  osId: string;
  osVersion: string;
  kernel: string;
  uptimeSeconds: number;
  bootId: string;
  rootFreeBytes: number;
  /** /run/reboot-required exists (Debian/Ubuntu): a reboot is pending from an earlier patch. */
  rebootRequired?: boolean;
  /** What trying the host's become printed (`ok`, `missing`, `failed …`); only read where it has one. */
  become?: string;
}

export type HostFactsResult =
  | { name: string; ok: true; facts: HostFacts }
  | { name: string; ok: false; error: string; errorType?: string };

/** A POSIX sh script that prints one `key=value` line per fact; read by {@link parseHostFacts}. */
export const HOST_FACTS_SCRIPT = [
  `printf 'hostname=%s\\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"`,
  `if [ -r /etc/os-release ]; then . /etc/os-release; fi`,
  `printf 'os_id=%s\\nos_version=%s\\n' "\${ID:-unknown}" "\${VERSION_ID:-unknown}"`,
  `printf 'kernel=%s\\n' "$(uname -r)"`,
  `printf 'uptime=%s\\n' "$(cut -d' ' -f1 /proc/uptime)"`,
  `printf 'boot_id=%s\\n' "$(cat /proc/sys/kernel/random/boot_id)"`,
  `printf 'root_free_kb=%s\\n' "$(df -Pk / | awk 'NR==2 {print $4}')"`,
  `if [ -e /run/reboot-required ]; then echo reboot_required=yes; else echo reboot_required=no; fi`,
].join('\n');

/** {@link HOST_FACTS_SCRIPT}, and with `become` a try of it (`sudo -n … true`): read-only either way. */
export function hostFactsScript(become: Become | undefined): string {
  return become === undefined ? HOST_FACTS_SCRIPT : `${HOST_FACTS_SCRIPT}\n${becomeProbeScript(become)}`;
}

export function parseHostFacts(output: string): HostFacts {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const need = (key: string): string => {
    const v = values.get(key);
    if (v === undefined || v === '') throw new Error(`host facts: "${key}" missing from the output of the facts script`);
    return v;
  };
  const number = (key: string): number => {
    const n = Number(need(key));
    if (!Number.isFinite(n)) throw new Error(`host facts: "${key}" is not a number: ${values.get(key)}`);
    return n;
  };
  return {
    hostname: need('hostname'),
    osId: need('os_id'),
    osVersion: need('os_version'),
    kernel: need('kernel'),
    uptimeSeconds: Math.floor(number('uptime')),
    bootId: need('boot_id'),
    rootFreeBytes: number('root_free_kb') * 1024,
    ...(values.has('reboot_required') ? { rebootRequired: values.get('reboot_required') === 'yes' } : {}),
    ...(values.has('become') ? { become: values.get('become')! } : {}),
  };
}

/** Free disk on / a host needs before it is patched (package downloads, the version record). */
export const MIN_FREE_BYTES = 200 * 1024 * 1024;

/**
 * What in a host's facts stands in the way of patching it, one sentence each naming the host: the
 * rollout's preflight refuses a host short of disk or whose become does not work (`access`: the SSH
 * user and become the facts were read with), the window's pre-flight reports all of them a day ahead.
 */
export function hostReadiness(
  host: string,
  facts: HostFacts,
  access?: { user: string; become?: Become | undefined },
): { lowDisk?: string; rebootPending?: string; becomeFails?: string } {
  const becomeFails = access?.become !== undefined ? becomeProblem(host, access.user, access.become, facts.become) : undefined;
  return {
    ...(becomeFails !== undefined ? { becomeFails } : {}),
    ...(facts.rootFreeBytes < MIN_FREE_BYTES ? { lowDisk: `${host}: only ${Math.round(facts.rootFreeBytes / 1048576)} MiB free on /, at least ${MIN_FREE_BYTES / 1048576} MiB needed` } : {}),
    ...(facts.rebootRequired ? { rebootPending: `${host}: a reboot is pending (/run/reboot-required) from an earlier change` } : {}),
  };
}
