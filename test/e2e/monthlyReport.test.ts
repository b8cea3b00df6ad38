import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadOrganisation, type Organisation } from '../../control/organisation';
import { gatherMonthlyReport } from '../../control/report';
import type { PendingUpdate } from '../../policies/compliance/types';
import type { DependencyRunSummary, PullRequestReport } from '../../policies/deps/run';
import { DEFAULT_INCIDENT_RULES } from '../../policies/probes/schema';
import type { MonthlyReport } from '../../policies/report/types';
import { rolloutWorkflowId, type HostReport, type RolloutReport } from '../../policies/rollout/types';
import { windowRunId, type WindowPhase, type WindowStatus } from '../../policies/windows/types';
import { openStore, type Store } from '../../store';
import { recordHostScan } from '../../store/compliance';
import { incidentsOpenedBetween, linkIncident, recordProbeRounds } from '../../store/incidents';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';
import { renderReportHtml, renderReportMarkdown } from '../../web/report';
import { printReportPdf } from '../../web/reportPdf';
import { launchBrowser, newContext, screenshot, SCREENSHOT_DIR } from '../helpers/browser';
import { ENGINES, useEngine } from '../helpers/storeEngines';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';

const MIN = 60_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

/**
 * November 2026 of one customer, Bakkerij Jansen (nl, Europe/Amsterdam: CET all month, so the month
 * is 2026-10-31T23:00Z to 2026-11-30T23:00Z, 43,200 minutes), seeded as the system records it:
 * probe results every minute with two outages (one inside a window), incidents opened and resolved
 * by the probe round ledger, three window runs (one rolled back) and their rollouts in Temporal,
 * compliance scans, dependency runs. Every figure of the JSON form is checked against a value
 * worked out by hand below.
 */
const MONTH_START = at('2026-10-31T23:00:00Z');
const MONTH_END = at('2026-11-30T23:00:00Z');
// Outage A (not in a window): failed rounds 09:00..09:29Z on 5 Nov, 30 minutes down.
const A = { from: at('2026-11-05T09:00:00Z'), rounds: 30 };
// Outage B inside the third window (17 Nov 22:00-23:10 local): failed rounds 21:20..21:34Z, 15 minutes.
const B = { from: at('2026-11-17T21:20:00Z'), rounds: 15 };
// Window runs: Tuesdays 3, 10, 17 Nov at 22:00 local (21:00Z), 2 h planned; they took 40, 55 and 70 minutes.
const RUNS: Array<{ day: string; minutes: number; phase: WindowPhase }> = [
  { day: '2026-11-03', minutes: 40, phase: 'completed' },
  { day: '2026-11-10', minutes: 55, phase: 'rolled-back' },
  { day: '2026-11-17', minutes: 70, phase: 'completed' },
];

describe.each(ENGINES)('the monthly operations review (%s)', (engine) => {
  const engines = useEngine(engine);
  const id = randomUUID().slice(0, 6);
  const SHOP = `webshop-${id}`;
  const WINDOW = `shop-weekly-${id}`;
  const ORG = `Acme Hosting ${id}`;
  const REPO = `acme-${id}/webshop`;
  const [WEB1, WEB2] = [`web-1-${id}`, `web-2-${id}`];
  const rolloutIds = RUNS.map((_, i) => `${WINDOW}-r${i + 1}`);
  let env: TestWorkflowEnvironment;
  let store: Store;
  let worker: Worker;
  let workerRun: Promise<void>;
  let organisation: Organisation;
  let dir: string;
  let report: MonthlyReport;

  const shop = { name: SHOP, title: { nl: 'Webwinkel', en: 'Web shop' } };
  const runStatus = (i: number): WindowStatus => {
    const r = RUNS[i]!;
    const start = at(`${r.day}T21:00:00Z`);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      window: WINDOW, title: shop.title, services: [shop],
      occurrence: { start: iso(start), end: iso(start + 120 * MIN), cutoff: iso(start + 90 * MIN), localStart: `${r.day}T22:00:00+01:00`, localEnd: `${r.day}T24:00:00+01:00` },
      end: iso(start + 120 * MIN), phase: r.phase, finishedAt: iso(start + r.minutes * MIN),
      tasks: [{ name: 'patch', state: r.phase === 'rolled-back' ? 'rolled-back' : 'completed', rolloutId: rolloutIds[i]! }],
      notices: [], ...(r.phase === 'rolled-back' ? { reason: 'the rollout was rolled back' } : {}),
    };
  };
  const host = (name: string, before: Record<string, string>, after: Record<string, string>, until: string, state: HostReport['state'] = 'healthy', error?: string): HostReport => ({
    name, wave: 0, state, record: { before, target: after }, after: state === 'rolled-back' ? before : after, attempts: 1,
    outOfServiceFrom: at(until) - 5 * MIN, outOfServiceUntil: at(until), ...(error ? { error } : {}),
  });
  const rollout = (i: number, status: RolloutReport['status'], hosts: HostReport[]): RolloutReport => ({
    rolloutId: rolloutIds[i]!, policy: 'web-security', status, currentWave: 0, waves: [{ index: 0, size: hosts.length, canary: false, state: status === 'rolled-back' ? 'rolled-back' : 'done' }],
    hosts, batches: [], failures: status === 'rolled-back' ? 1 : 0, failuresTolerated: 0, finishedAt: at(`${RUNS[i]!.day}T21:00:00Z`) + RUNS[i]!.minutes * MIN,
  });
  const update = (pkg: string, installed: string, candidate: string, classification: PendingUpdate['classification'], publishedAt?: string): PendingUpdate => ({
    package: pkg, installed, candidate, source: classification === 'security' ? 'bookworm-security' : 'bookworm', classification, severity: 'unspecified', cves: [], held: false,
    ...(publishedAt ? { publishedAt: at(publishedAt) } : {}),
  });
  const pr = (number: number, outcome: PullRequestReport['outcome']): PullRequestReport => ({ branch: `renovate/dep-${number}`, title: `Update dep ${number}`, outcome, number, updates: [] });
  const depRun = (finishedAt: string, pullRequests: PullRequestReport[], waiting = 0, merged?: DependencyRunSummary['merged']): DependencyRunSummary => ({
    repo: REPO, dryRun: false, startedAt: new Date(at(finishedAt) - 2 * MIN).toISOString(), finishedAt, managers: [], problems: [], pullRequests,
    waiting: Array.from({ length: waiting }, (_, i) => ({ branch: `renovate/held-${i}`, title: 'held', limit: 'maxOpenPRs' })), held: [], stale: [],
    ...(merged ? { merged } : {}),
  });
  const mergedOnGitHub = (number: number, createdAt: string, mergedAt: string) => ({ number, url: `https://github.example/${REPO}/pull/${number}`, branch: `renovate/dep-${number}`, createdAt, mergedAt });

  beforeAll(async () => {
    env = await connectTestEnv();
    store = await openStore(await engines.fresh());
    dir = mkdtempSync(join(tmpdir(), 'maint-report-'));
    mkdirSync(join(dir, 'webshop'));
    writeFileSync(join(dir, 'maint.yaml'), `
apiVersion: maint/v1
kind: Organisation
organisation: {name: "${ORG}", contact: {email: support@acme.example}}
channels:
  - {name: customer-mail, kind: email, smtp: {host: 127.0.0.1, port: 2525}, from: "Acme <maintenance@acme.example>"}
slaTiers:
  - {name: gold, availability: 99.9%, plannedMaintenanceCounts: false, timezone: Europe/Amsterdam}
services:
  - name: ${SHOP}
    title: {nl: Webwinkel, en: Web shop}
    tier: gold
    probeInterval: 1m
    probes: [{name: homepage, kind: http, url: "https://shop.example/health"}]
    subscribers:
      - {name: Bakkerij Jansen, channel: customer-mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
windows:
  - name: ${WINDOW}
    title: {nl: Onderhoud webwinkel, en: Web shop maintenance}
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [tue], at: "22:00"}
    duration: 2h
    services: [${SHOP}]
    notices: {leadTimes: [5d]}
    preflight: false
dependencies:
  github: {auth: {kind: token, tokenEnv: GITHUB_TOKEN}}
  repositories:
    - {repo: ${REPO}, checkout: {path: ./webshop}}
`);
    organisation = await loadOrganisation([join(dir, 'maint.yaml')], new Date('2026-11-01T00:00:00Z'));

    // Probe results: one a minute from two minutes before the month to its end; the outages' rounds
    // (and one on each side) go through the round ledger, which opens and resolves the incidents.
    const failed = (t: number) => (t >= A.from && t < A.from + A.rounds * MIN) || (t >= B.from && t < B.from + B.rounds * MIN);
    const viaLedger = (t: number) => (t >= A.from - MIN && t <= A.from + A.rounds * MIN) || (t >= B.from - MIN && t <= B.from + B.rounds * MIN);
    const plain: RecordedProbeResult[] = [];
    const rounds: Parameters<typeof recordProbeRounds>[1] = [];
    for (let t = MONTH_START - 2 * MIN; t < MONTH_END; t += MIN) {
      const result = { service: SHOP, probe: 'homepage', at: t, ok: !failed(t), ...(failed(t) ? { error: 'HTTP 502' } : { latencyMs: 80 }) };
      if (viaLedger(t)) rounds.push({ round: { id: `${SHOP}/${t}`, service: SHOP, at: t, location: 'maint-control', results: [result] }, rules: DEFAULT_INCIDENT_RULES });
      else plain.push({ ...result, roundId: `${SHOP}/${t}`, location: 'maint-control' });
    }
    await insertProbeResults(store.db, plain);
    for (const r of rounds) await recordProbeRounds(store, [r]);
    // The probe activity links an incident to the window run in progress when it opened.
    const [, during] = await incidentsOpenedBetween(store, [SHOP], { from: MONTH_START, to: MONTH_END });
    await linkIncident(store, during!.id, { windowRun: windowRunId(WINDOW, runStatus(2).occurrence.start), rolloutId: rolloutIds[2]! });

    // Compliance scans of both hosts: openssl (security, published 30 Oct) and nginx (other) offered on 2 Nov, none on 4 Nov,
    // libc6 (security, published 14 Nov) on 15 Nov; on 18 Nov web-1 is clean and web-2 waits for a reboot.
    for (const h of [WEB1, WEB2]) {
      await recordHostScan(store, 'scan-1102', { host: h, at: at('2026-11-02T06:00:00Z'), ok: true, manager: 'apt', rebootRequired: false, updates: [update('openssl', '3.0.1', '3.0.2', 'security', '2026-10-30T21:20:00Z'), update('nginx', '1.24.0', '1.24.1', 'other')] });
      await recordHostScan(store, 'scan-1104', { host: h, at: at('2026-11-04T06:00:00Z'), ok: true, manager: 'apt', rebootRequired: false, updates: [] });
      await recordHostScan(store, 'scan-1115', { host: h, at: at('2026-11-15T06:00:00Z'), ok: true, manager: 'apt', rebootRequired: false, updates: [update('libc6', '2.36-9', '2.36-10', 'security', '2026-11-14T21:20:00Z')] });
      await recordHostScan(store, 'scan-1118', { host: h, at: at('2026-11-18T06:00:00Z'), ok: true, manager: 'apt', rebootRequired: h === WEB2, updates: [] });
    }

    // Temporal: the three window runs, their rollouts and three dependency runs, as workers leave them.
    const taskQueue = uniqueTaskQueue('report');
    worker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowsPath: require.resolve('../helpers/reportStandIns') });
    workerRun = worker.run();
    for (let i = 0; i < RUNS.length; i++) {
      await env.client.workflow.execute('maintenanceWindowWorkflow', { taskQueue, workflowId: windowRunId(WINDOW, runStatus(i).occurrence.start), args: [{ status: runStatus(i), finished: true }], memo: { window: WINDOW, organisation: ORG } });
    }
    const reports = [
      rollout(0, 'completed', [host(WEB1, { openssl: '3.0.1', nginx: '1.24.0' }, { openssl: '3.0.2', nginx: '1.24.1' }, '2026-11-03T21:20:00Z'), host(WEB2, { openssl: '3.0.1', nginx: '1.24.0' }, { openssl: '3.0.2', nginx: '1.24.1' }, '2026-11-03T21:30:00Z')]),
      rollout(1, 'rolled-back', [host(WEB1, { 'linux-image-amd64': '6.1.115-1' }, { 'linux-image-amd64': '6.1.119-1' }, '2026-11-10T21:40:00Z', 'rolled-back', 'health check https://shop.example/health: HTTP 502'), host(WEB2, { 'linux-image-amd64': '6.1.115-1' }, { 'linux-image-amd64': '6.1.119-1' }, '2026-11-10T21:50:00Z', 'rolled-back')]),
      rollout(2, 'completed', [host(WEB1, { libc6: '2.36-9' }, { libc6: '2.36-10' }, '2026-11-17T21:40:00Z'), host(WEB2, { libc6: '2.36-9' }, { libc6: '2.36-10' }, '2026-11-17T21:50:00Z')]),
    ];
    for (const r of reports) await env.client.workflow.execute('patchRolloutWorkflow', { taskQueue, workflowId: rolloutWorkflowId(r.rolloutId), args: [{ report: r }] });
    for (const summary of [
      depRun('2026-10-28T06:00:00Z', [pr(1, 'created')]),
      depRun('2026-11-02T06:00:00Z', [pr(1, 'merged'), pr(2, 'created'), pr(3, 'created')]),
      // The run lists what GitHub has merged: #1 (maint's automerge on 2 Nov) and #6, merged by a person on 5 Nov.
      depRun('2026-11-09T06:00:00Z', [pr(2, 'merged'), pr(3, 'unchanged'), pr(4, 'created')], 1, [
        mergedOnGitHub(1, '2026-10-28T06:00:00Z', '2026-11-02T06:01:00Z'), mergedOnGitHub(6, '2026-10-20T09:00:00Z', '2026-11-05T13:00:00Z'),
      ]),
    ]) {
      await env.client.workflow.execute('dependencyUpdatesWorkflow', { taskQueue, workflowId: `deps-${REPO.replace('/', '-')}`, args: [{ summary }] });
    }

    report = await gatherMonthlyReport({ client: env.client, store, organisation, now: at('2026-12-02T07:00:00Z') }, { month: '2026-11', customer: 'Bakkerij Jansen' });
  }, 240_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await store?.close();
  });

  test('availability against the tier, error budget and incidents are computed by hand', () => {
    expect(report.customer).toEqual({ name: 'Bakkerij Jansen', language: 'nl', timezone: 'Europe/Amsterdam' });
    expect([report.from, report.to]).toEqual(['2026-10-31T23:00:00.000Z', '2026-11-30T23:00:00.000Z']);
    const [s] = report.services;
    expect(report.services).toHaveLength(1);
    // Maintenance left out (plannedMaintenanceCounts: false): 40 + 55 + 70 = 165 minutes; outage B lay inside it.
    const counted = 43_200 - 165;
    expect(s!.availability).toMatchObject({ countedMinutes: counted, downtimeMinutes: 30, downMinutes: 45, unknownMinutes: 0, maintenanceMinutes: 165, maintenanceDownMinutes: 15, targetPercent: 99.9, met: true });
    expect(s!.availability!.availabilityPercent).toBeCloseTo(100 * (1 - 30 / counted), 10);
    const allowed = 0.001 * counted;
    expect(s!.availability!.errorBudget.allowedMinutes).toBeCloseTo(allowed, 10);
    expect(s!.availability!.errorBudget.spentMinutes).toBe(30);
    expect(s!.availability!.errorBudget.leftMinutes).toBeCloseTo(allowed - 30, 10);
    expect(s!.availability!.errorBudget.usedPercent).toBeCloseTo((100 * 30) / allowed, 10);
    // Incidents open on the third failed round and resolve on the first good one.
    expect(s!.incidents.map((i) => ({ start: i.start, minutes: i.durationMinutes, cause: i.cause, windowRun: i.windowRun }))).toEqual([
      { start: '2026-11-05T09:02:00.000Z', minutes: 28, cause: 'homepage: HTTP 502', windowRun: undefined },
      { start: '2026-11-17T21:22:00.000Z', minutes: 13, cause: 'homepage: HTTP 502', windowRun: windowRunId(WINDOW, '2026-11-17T21:00:00.000Z') },
    ]);
    // Days as the status page counts them: 1,440 rounds a day; 5 Nov lost 30 of them, 17 Nov 15.
    expect(s!.daily).toHaveLength(30);
    expect(s!.daily.find((d) => d.day === '2026-11-05')).toMatchObject({ rounds: 1440, downRounds: 30 });
    expect(s!.daily.find((d) => d.day === '2026-11-05')!.availabilityPercent).toBeCloseTo((100 * 1410) / 1440, 10);
    expect(s!.daily.find((d) => d.day === '2026-11-17')).toMatchObject({ downRounds: 15 });
    expect(s!.uptime90).toHaveLength(90);
    expect(s!.uptime90.at(-1)!.day).toBe('2026-11-30');
  });

  test('windows held: planned against actual, what ran, and what the probes saw inside', () => {
    const windows = report.services[0]!.windows;
    expect(windows.map((w) => [w.start, w.phase, w.plannedMinutes, w.actualMinutes, w.tasks.map((t) => `${t.name}:${t.state}:${t.rolloutId}`), w.impact])).toEqual([
      ['2026-11-03T21:00:00.000Z', 'completed', 120, 40, [`patch:completed:${rolloutIds[0]}`], { failedProbeResults: 0, downMinutes: 0 }],
      ['2026-11-10T21:00:00.000Z', 'rolled-back', 120, 55, [`patch:rolled-back:${rolloutIds[1]}`], { failedProbeResults: 0, downMinutes: 0 }],
      ['2026-11-17T21:00:00.000Z', 'completed', 120, 70, [`patch:completed:${rolloutIds[2]}`], { failedProbeResults: 15, downMinutes: 15 }],
    ]);
    // ISO weeks in Amsterdam: W44 holds only 1 Nov, W49 only 30 Nov.
    expect(report.maintenance.minutesPerWeek).toEqual([
      { week: '2026-W44', minutes: 0 }, { week: '2026-W45', minutes: 40 }, { week: '2026-W46', minutes: 55 },
      { week: '2026-W47', minutes: 70 }, { week: '2026-W48', minutes: 0 }, { week: '2026-W49', minutes: 0 },
    ]);
  });

  test('patches, their classification and latency, and the rollback with its reason', () => {
    const p = report.patches;
    expect([p.hosts, p.packages, p.security, p.other]).toEqual([2, 6, 4, 2]);
    expect(p.rows.map((r) => `${r.host} ${r.package} ${r.from}->${r.to} ${r.classification}`)).toEqual([
      `${WEB1} nginx 1.24.0->1.24.1 other`, `${WEB1} openssl 3.0.1->3.0.2 security`,
      `${WEB2} nginx 1.24.0->1.24.1 other`, `${WEB2} openssl 3.0.1->3.0.2 security`,
      `${WEB1} libc6 2.36-9->2.36-10 security`, `${WEB2} libc6 2.36-9->2.36-10 security`,
    ]);
    // Release (published date, else first seen by a scan) → installed (the host back in service).
    const days = (installed: string, since: string) => (at(installed) - at(since)) / DAY;
    expect(p.latencyDays).toEqual([
      days('2026-11-03T21:20:00Z', '2026-11-02T06:00:00Z'), days('2026-11-03T21:30:00Z', '2026-11-02T06:00:00Z'),
      days('2026-11-17T21:40:00Z', '2026-11-14T21:20:00Z'), days('2026-11-17T21:50:00Z', '2026-11-14T21:20:00Z'),
      days('2026-11-03T21:20:00Z', '2026-10-30T21:20:00Z'), days('2026-11-03T21:30:00Z', '2026-10-30T21:20:00Z'),
    ].sort((a, b) => a - b));
    expect(report.rollbacks).toEqual([{ window: WINDOW, rolloutId: rolloutIds[1], at: '2026-11-10T21:55:00.000Z', why: `${WEB1}: health check https://shop.example/health: HTTP 502`, hosts: [WEB1, WEB2] }]);
  });

  test('a rollback nothing recorded a cause for says so in the reader\'s language, not in English', () => {
    const unexplained = { ...report, rollbacks: report.rollbacks.map(({ why: _why, ...r }) => r) };
    expect(renderReportMarkdown(unexplained, { lang: 'nl' })).toContain(`- ${WINDOW} `);
    expect(renderReportMarkdown(unexplained, { lang: 'nl' })).toMatch(/: oorzaak niet vastgelegd\n/);
    expect(renderReportMarkdown(unexplained, { lang: 'en' })).toMatch(/: cause not recorded\n/);
    expect(renderReportMarkdown(unexplained, { lang: 'nl' })).not.toMatch(/not recorded|undefined/);
  });

  test('a missed window run (it would have started after its window ended) is explained in the reader\'s language', () => {
    const missed = { ...report, services: report.services.map((s, i) => (i === 0 ? { ...s, windows: s.windows.map(({ reason: _r, ...x }, j) => (j === 0 ? { ...x, phase: 'missed' as const, tasks: [] } : x)) } : s)) };
    expect(renderReportMarkdown(missed, { lang: 'nl' })).toMatch(/\(gemist\): .*; niet uitgevoerd: het zou pas na het einde van het venster zijn begonnen\n/);
    expect(renderReportMarkdown(missed, { lang: 'en' })).toMatch(/\(missed\): .*; not carried out: it would have started after the window had ended\n/);
  });

  test('the median time to merge reads in minutes, hours or days, as long as it is', () => {
    const merged = (minutes: number) => ({ ...report, dependencies: { ...report.dependencies, medianMinutesToMerge: minutes } }) as typeof report;
    expect(renderReportMarkdown(merged(45), { lang: 'nl' })).toContain('mediane tijd tot samenvoegen 45 min.');
    expect(renderReportMarkdown(merged(30 * 60 + 30), { lang: 'nl' })).toContain('mediane tijd tot samenvoegen 30,5 uur.');
    expect(renderReportMarkdown(merged(30 * 60), { lang: 'en' })).toContain('median time to merge 30 h.');
    expect(renderReportMarkdown(merged(3.25 * 1440), { lang: 'en' })).toContain('median time to merge 3.3 days.');
  });

  test('compliance at the month end and per day, dependency PRs, next month', () => {
    expect(report.compliance.hosts).toBe(2);
    expect(report.compliance.monthEnd).toEqual({ compliant: 1, nonCompliant: 1, unknown: 0, securityPending: 0 });
    const byDay = new Map(report.compliance.trend.map((t) => [t.day, t.compliantPercent]));
    expect(report.compliance.trend).toHaveLength(30);
    expect([byDay.get('2026-11-01'), byDay.get('2026-11-02'), byDay.get('2026-11-03'), byDay.get('2026-11-04'), byDay.get('2026-11-14'), byDay.get('2026-11-15'), byDay.get('2026-11-17'), byDay.get('2026-11-18'), byDay.get('2026-11-30')])
      .toEqual([null, 0, 0, 100, 100, 0, 0, 50, 50]);
    // Runs of November: #2, #3, #4 opened; merged: #1 (GitHub: open 5 days 1 minute), #2 (by the run 7 days after the one that
    // opened it) and #6 by a person (GitHub: open 16 days 4 hours); #3, #4 open and one held back.
    expect(report.dependencies).toEqual({ recorded: true, runs: 2, opened: 3, merged: 3, waiting: 3, medianMinutesToMerge: 7 * 1440, mergedByPeople: 'counted' });
    // December's Tuesdays at 22:00 in Amsterdam.
    expect(report.nextMonth.map((n) => new Date(n.start).toISOString())).toEqual(['01', '08', '15', '22', '29'].map((d) => `2026-12-${d}T21:00:00.000Z`));
  });

  test('the HTML renders in Chromium without console errors, nl with Dutch dates and decimal commas; the PDF holds the key figures', async () => {
    const browser = await launchBrowser();
    try {
      for (const lang of ['nl', 'en'] as const) {
        const page = await renderReportHtml(report, { lang });
        expect(page).not.toMatch(/<script|https?:\/\/(?!vega\.github\.io)[^"'\s]+\.(js|css|png|woff)/);
        const context = await newContext(browser, { locale: lang === 'nl' ? 'nl-NL' : 'en-GB' });
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
        tab.on('pageerror', (e) => problems.push(e.message));
        tab.on('request', (r) => { if (!r.url().startsWith('data:') && r.url() !== 'about:blank') problems.push(`request ${r.url()}`); });
        await tab.setContent(page, { waitUntil: 'load' });
        expect(problems).toEqual([]);
        const text = await tab.locator('body').innerText();
        expect(await tab.locator('figure svg').count()).toBe(4);
        expect(await tab.locator('ol.bar li').count()).toBe(90);
        if (lang === 'nl') {
          expect(text).toContain('november 2026');
          expect(text).toContain('99,930%');
          expect(text).toContain('30,0 min van 43,0 min gebruikt');
          expect(text).toMatch(/17 nov 2026.*22:22/);
          expect(text).toContain('mediane tijd tot samenvoegen 7 dagen.');
        } else {
          expect(text).toContain('November 2026');
          expect(text).toContain('99.930%');
          expect(text).toContain('30.0 min of 43.0 min used');
          expect(text).toContain('median time to merge 7 days.');
        }
        await screenshot(tab, `monthly-report-${engine}-${lang}`);
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const pdf = await printReportPdf(await renderReportHtml(report, { lang: 'nl' }));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, `monthly-report-${engine}-nl.pdf`);
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pages).toBeLessThanOrEqual(4);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const figure of ['Bakkerij Jansen', '99,930%', '30,0 min van 43,0 min gebruikt', '6 pakketupdates op 2 servers: 4 beveiliging, 2 overig', '1 van 2 servers bijgewerkt', "3 PR's geopend, 3 samengevoegd, 3 wachtend"]) expect(text).toContain(figure);
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(SCREENSHOT_DIR, `monthly-report-${engine}-nl-page`)]);
    expect(readFileSync(join(SCREENSHOT_DIR, `monthly-report-${engine}-nl-page-1.png`)).length).toBeGreaterThan(1000);
  }, 120_000);
});
