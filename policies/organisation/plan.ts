import { PolicyError, type PolicyProblem } from '../common/errors';
import { redact } from '../common/redact';
import type { Channel, OrganisationFile, SlaTier, Subscriber, WindowDefinition } from './schema';
import { slaTierProblems } from '../availability/tiers';
import type { RolloutPolicy } from '../rollout/policy';
import type { TargetSet } from '../rollout/types';
import type { NoticeRecipient, OrganisationInfo, WindowPlan } from '../windows/types';
import type { Blackout } from '../windows/schema';
import { overlappingWindows } from '../windows/overlaps';

export interface LoadedOrganisationFile {
  file: string;
  content: OrganisationFile;
}

/** What `maint apply` read for a window besides the organisation files, keyed by the window name. */
export interface WindowAttachments {
  /** One per task, in order: the rollout policy and its targets (absolute paths). */
  rollouts: Array<{ policy: RolloutPolicy; targets: TargetSet }>;
  /** Blackouts imported from the window's `blackoutCalendars`. */
  calendarBlackouts: Blackout[];
}

type Located<T> = { file: string; path: string; item: T };

/** The window plans of the organisation files, and what `maint apply` warns about (each "file: path: message"). */
export interface OrganisationPlan {
  windows: WindowPlan[];
  warnings: string[];
}

/**
 * Joins the organisation files into one set of window plans. Names are unique across files,
 * every reference resolves, no window breaks its services' SLA tiers and no two windows over the
 * same service run at the same time (both checked from `now`; overlapping runs are only a warning
 * when one of the two windows allows it), or nothing is returned: the error names each file and path.
 */
export function planOrganisation(files: LoadedOrganisationFile[], attachments: (window: WindowDefinition) => WindowAttachments, now: Date): OrganisationPlan {
  const problems = new Map<string, PolicyProblem[]>();
  const report = (file: string, path: string, message: string) => problems.set(file, [...(problems.get(file) ?? []), { path, message }]);

  const collect = <T extends { name: string }>(key: 'channels' | 'services' | 'windows' | 'slaTiers'): Map<string, Located<T>> => {
    const byName = new Map<string, Located<T>>();
    for (const { file, content } of files) {
      for (const [i, item] of (content[key] as unknown as T[]).entries()) {
        const earlier = byName.get(item.name);
        if (earlier) report(file, `${key}[${i}].name`, `"${item.name}" is already defined in ${earlier.file} at ${earlier.path}`);
        else byName.set(item.name, { file, path: `${key}[${i}]`, item });
      }
    }
    return byName;
  };
  const channels = collect<Channel>('channels');
  const services = collect<OrganisationFile['services'][number]>('services');
  const windows = collect<WindowDefinition>('windows');
  const tiers = collect<SlaTier>('slaTiers');

  const orgs = files.filter((f) => f.content.organisation !== undefined);
  if (orgs.length === 0) report(files[0]?.file ?? '(no files)', 'organisation', 'is required in one of the files (name and contact of your company, used to sign notices)');
  for (const extra of orgs.slice(1)) report(extra.file, 'organisation', `is already defined in ${orgs[0]!.file}; define it in one file only`);
  const organisation = orgs[0]?.content.organisation as OrganisationInfo | undefined;

  const checkSubscriber = (file: string, path: string, s: Pick<Subscriber, 'channel' | 'to'>) => {
    const channel = channels.get(s.channel)?.item;
    if (!channel) report(file, `${path}.channel`, `unknown channel "${s.channel}"; defined: ${[...channels.keys()].join(', ') || 'none'}`);
    else if (channel.kind === 'email' && s.to === undefined) report(file, `${path}.to`, `is required: channel "${s.channel}" sends e-mail`);
    else if (channel.kind !== 'email' && s.to !== undefined) report(file, `${path}.to`, `not used by ${channel.kind} channel "${s.channel}"; remove it`);
  };
  for (const { file, path, item } of services.values()) item.subscribers.forEach((s, i) => checkSubscriber(file, `${path}.subscribers[${i}]`, s));
  for (const { file, path, item } of services.values()) {
    if (item.tier !== undefined && !tiers.has(item.tier)) report(file, `${path}.tier`, `unknown SLA tier "${item.tier}"; defined under slaTiers: ${[...tiers.keys()].join(', ') || 'none'}`);
  }
  for (const { file, content } of files) content.operations?.alerts.forEach((a, i) => checkSubscriber(file, `operations.alerts[${i}]`, a));
  for (const { file, path, item } of windows.values()) {
    item.services.forEach((name, i) => {
      if (!services.has(name)) report(file, `${path}.services[${i}]`, `unknown service "${name}"; defined: ${[...services.keys()].join(', ') || 'none'}`);
    });
  }
  if (problems.size > 0) throw combined(problems);

  const recipient = (s: Subscriber, key: string): NoticeRecipient => ({
    key, name: s.name, channel: s.channel, language: s.language, timezone: s.timezone, ...(s.to !== undefined ? { to: s.to } : {}),
  });
  const operations = files.flatMap((f) => f.content.operations?.alerts ?? []).map((a, i) => recipient(a, `operations:${a.channel}:${a.to ?? i}`));
  const plans: WindowPlan[] = [];
  for (const { item: w } of windows.values()) {
    const affected = w.services.map((n) => services.get(n)!.item);
    const recipients = new Map<string, NoticeRecipient>();
    for (const service of affected) {
      for (const s of service.subscribers) {
        const key = `${s.channel}:${s.to ?? s.name}`;
        if (!recipients.has(key)) recipients.set(key, recipient(s, key));
      }
    }
    const { rollouts, calendarBlackouts } = attachments(w);
    const serviceTitles = affected.map((s) => ({ name: s.name, title: s.title ?? { nl: s.name, en: s.name } }));
    const plan: Omit<WindowPlan, 'configHash'> = {
      name: w.name,
      title: w.title ?? { nl: serviceTitles.map((s) => s.title.nl).join(', '), en: serviceTitles.map((s) => s.title.en).join(', ') },
      timing: { timezone: w.timezone, recurrence: w.recurrence, durationMs: w.duration, cutoffMs: w.cutoff, blackouts: [...w.blackouts, ...calendarBlackouts] },
      leadTimesMs: [...w.notices.leadTimes].sort((a, b) => b - a),
      ...(w.preflight !== false ? { preflightBeforeMs: w.preflight.before } : {}),
      ...(w.notices.describeUpdates ? { describeUpdates: true } : {}),
      ...(w.impact !== undefined ? { impact: w.impact } : {}),
      services: serviceTitles,
      organisation: organisation!,
      // Only the channels this window uses travel with it.
      channels: [...channels.values()].map((c) => c.item).filter((c) => [...recipients.values(), ...operations].some((r) => r.channel === c.name)),
      recipients: [...recipients.values()],
      operations,
      tasks: rollouts.map((r, i) => ({ kind: 'rollout' as const, name: r.policy.name, policy: r.policy, targets: r.targets, urgency: w.tasks[i]?.urgency ?? 'routine' })),
    };
    const budgets = affected.flatMap((s) => {
      const tier = s.tier !== undefined ? tiers.get(s.tier)?.item : undefined;
      return tier && s.probes.length > 0 ? [{ service: s.name, tier, probeIntervalMs: s.probeInterval }] : [];
    });
    if (budgets.length > 0) plan.errorBudgets = budgets;
    plans.push({ ...plan, configHash: '' });
  }
  for (const p of slaTierProblems(plans, [...services.values()].map((s) => s.item), [...tiers.values()].map((t) => t.item), now)) {
    const at = windows.get(p.window)!;
    report(at.file, `${at.path}.${p.field}`, p.message);
  }
  const warnings: string[] = [];
  const timed = [...windows.values()].map((at, i) => ({ ...at, services: at.item.services, timing: plans[i]!.timing }));
  for (const { earlier, later, services: shared, overlap } of overlappingWindows(timed, now)) {
    const [a, b] = [earlier.item.name, later.item.name];
    const utc = (iso: string) => iso.replace(/\.000Z$/, 'Z');
    const message = `window "${b}" overlaps window "${a}" (${earlier.file} ${earlier.path}) on service${shared.length === 1 ? '' : 's'} ${shared.join(', ')}: `
      + `first ${utc(overlap.from)} to ${utc(overlap.until)} UTC ("${a}" runs ${utc(overlap.a.start)} to ${utc(overlap.a.end)}, "${b}" ${utc(overlap.b.start)} to ${utc(overlap.b.end)})`;
    if (earlier.item.allowOverlap || later.item.allowOverlap) warnings.push(`${later.file}: ${later.path}: ${message}`);
    else report(later.file, later.path, `${message}; move one of them, or set allowOverlap: true on one if they may run at the same time`);
  }
  if (problems.size > 0) throw combined(problems);
  return { windows: plans, warnings };
}

/**
 * Warnings `maint apply` prints (the files stay valid): a webhook or Slack channel whose written
 * `url` carries a secret (a Slack webhook URL, credentials, a query string) puts that secret into
 * every workflow payload that carries the channel; urlEnv / urlFile keep it on the worker.
 */
export function channelWarnings(files: LoadedOrganisationFile[]): string[] {
  const warnings: string[] = [];
  for (const { file, content } of files) {
    for (const [i, channel] of content.channels.entries()) {
      if (channel.kind === 'email' || channel.url === undefined) continue;
      const slack = /^https?:\/\/hooks\.slack\.com\//i.test(channel.url);
      if (!slack && redact(channel.url) === channel.url) continue;
      warnings.push(`${file}: channels[${i}].url: ${slack ? 'a Slack webhook URL is a secret' : 'this URL carries a secret (credentials or a query string)'}; ` +
        `it travels in every workflow payload of channel "${channel.name}". Put it in the worker's environment or a file and name it with urlEnv or urlFile instead`);
    }
  }
  return warnings;
}

function combined(problems: Map<string, PolicyProblem[]>): PolicyError {
  const [first, ...rest] = [...problems.entries()];
  const error = new PolicyError(first![0], first![1]);
  if (rest.length === 0) return error;
  // Several files: one message listing each file's problems.
  const message = [error.message, ...rest.map(([file, p]) => new PolicyError(file, p).message)].join('\n');
  return Object.assign(new PolicyError(first![0], [...first![1]]), { message });
}
