import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatProblems } from '../policies/common/errors';
import { organisationSchema, type WindowDefinition } from '../policies/organisation/schema';
import { channelWarnings, planOrganisation, type LoadedOrganisationFile, type WindowAttachments } from '../policies/organisation/plan';
import { rolloutPolicySchema, targetProblems } from '../policies/rollout/policy';
import type { WindowPlan } from '../policies/windows/types';
import { blackoutsFromICalendar } from '../policies/windows/blackoutCalendar';
import { overlappingLaunches } from '../policies/windows/launches';
import { hostSourceUnit } from '../inventory';
import { InvalidInputError } from './errors';
import { withBaseline } from './baselines';
import { readPolicyFile } from './files';
import { policySource, readHosts, rolloutTargets } from './targets';

/** Blackout calendars are expanded from the start of this year over three years (stable within a year, so re-applies are no-ops). */
function calendarHorizon(now: Date): { from: Date; to: Date } {
  const year = now.getUTCFullYear();
  return { from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 3, 0, 1)) };
}

/** The organisation files of one command, read once: what they say, and the window plans compiled from them. */
export interface Organisation {
  /** The organisation's name ('' when the files define no window). */
  name: string;
  files: LoadedOrganisationFile[];
  /** Every window, with the hash of its plan (what `maint apply` compares with the schedule's). */
  windows: WindowPlan[];
  /** What the files allow but people should know ("file: path: message"), e.g. windows allowed to overlap. */
  warnings: string[];
}

/**
 * Reads every organisation file and everything they reference (rollout policies, inventories,
 * .ics calendars) and compiles the window plans. Every file is validated before anything is
 * returned; all problems of all files are reported together (InvalidInputError).
 */
export async function loadOrganisation(files: string[], now: Date = new Date()): Promise<Organisation> {
  if (files.length === 0) throw new InvalidInputError('no organisation file given (-f maint.yaml)');
  const errors: string[] = [];
  const loaded: LoadedOrganisationFile[] = [];
  for (const file of files) {
    try {
      loaded.push({ file, content: readPolicyFile(file, organisationSchema) });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new InvalidInputError(errors.join('\n'));

  // Which file and index each window came from, to resolve relative paths and name problems.
  const origin = new Map<string, { file: string; index: number }>();
  for (const { file, content } of loaded) content.windows.forEach((w, index) => origin.set(w.name, { file, index }));
  const attachments = new Map<string, WindowAttachments>();
  for (const { file, content } of loaded) {
    for (const [index, w] of content.windows.entries()) {
      try {
        attachments.set(w.name, await readAttachments(w, file, index, now));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }
  if (errors.length > 0) throw new InvalidInputError(errors.join('\n'));

  let plans: WindowPlan[];
  let warnings: string[];
  try {
    ({ windows: plans, warnings } = planOrganisation(loaded, (w) => attachments.get(w.name)!, now));
  } catch (err) {
    throw new InvalidInputError((err as Error).message);
  }
  for (const plan of plans) {
    const overlap = overlappingLaunches(plan, now);
    const at = origin.get(plan.name)!;
    if (overlap) errors.push(formatProblems(at.file, [{ path: `windows[${at.index}].notices.leadTimes`, message: overlap }]));
  }
  if (errors.length > 0) throw new InvalidInputError(errors.join('\n'));
  return { name: plans[0]?.organisation.name ?? '', files: loaded, windows: plans.map((p) => ({ ...p, configHash: hashPlan(p) })), warnings: [...warnings, ...channelWarnings(loaded)] };
}

async function readAttachments(w: WindowDefinition, file: string, index: number, now: Date): Promise<WindowAttachments> {
  const relative = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const rollouts: WindowAttachments['rollouts'] = [];
  for (const [i, task] of w.tasks.entries()) {
    const policyFile = relative(task.policy);
    let policy;
    try {
      policy = withBaseline(readPolicyFile(policyFile, rolloutPolicySchema), policyFile);
    } catch (err) {
      throw new InvalidInputError(`${formatProblems(file, [{ path: `windows[${index}].tasks[${i}].policy`, message: `cannot use ${task.policy}` }])}\n${(err as Error).message}`);
    }
    const source = policySource(policy, policyFile);
    // Fail now, not at 22:00 on the night: the inventory must be readable (a live source is read by the worker).
    // and what the policy cannot do with those hosts (a canary larger than them, a missing tag) is
    // said now too, as `maint rollout start` says it, instead of a clipped canary on the night.
    if (!hostSourceUnit(source).live) {
      const problems = targetProblems(policy, await readHosts(source, policy.targets.selector));
      if (problems.length > 0) {
        throw new InvalidInputError(`${formatProblems(file, [{ path: `windows[${index}].tasks[${i}].policy`, message: `cannot use ${task.policy} with the hosts it targets now` }])}
${formatProblems(policyFile, problems)}`);
      }
    }
    // By reference: the hosts are read on the night, as they are then.
    rollouts.push({ policy, targets: rolloutTargets(policy, source) });
  }
  const calendarBlackouts = [];
  for (const [i, calendar] of w.blackoutCalendars.entries()) {
    const path = relative(calendar);
    try {
      calendarBlackouts.push(...blackoutsFromICalendar(readFileSync(path, 'utf8'), w.timezone, calendarHorizon(now)));
    } catch (err) {
      // As the other file references say it: "cannot read /abs/holidays.ics (ENOENT)".
      const { code, message } = err as NodeJS.ErrnoException;
      const why = code !== undefined ? `cannot read ${path} (${code})` : message;
      throw new InvalidInputError(formatProblems(file, [{ path: `windows[${index}].blackoutCalendars[${i}]`, message: `${calendar}: ${why}` }]));
    }
  }
  return { rollouts, calendarBlackouts };
}

function hashPlan(plan: WindowPlan): string {
  const { configHash: _ignored, ...rest } = plan;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}
