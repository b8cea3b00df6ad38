/**
 * OSV records (https://ossf.github.io/osv-schema/) read and matched against a dependency's version.
 * Pure: the activity reads the files; this module checks each record's shape (an error names the
 * file and the path inside it) and decides which versions a record affects.
 */
import { z } from 'zod';
import type { Advisory } from '../types';
import { compareVersions, normalisePackageName, OSV_ECOSYSTEMS, type OsvEcosystem } from './versions';

const eventSchema = z.union([
  z.strictObject({ introduced: z.string().min(1) }),
  z.strictObject({ fixed: z.string().min(1) }),
  z.strictObject({ last_affected: z.string().min(1) }),
  z.strictObject({ limit: z.string().min(1) }),
], { error: 'expected an event with exactly one of introduced, fixed, last_affected or limit, a version string' });

const rangeSchema = z.looseObject({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT'], { error: 'expected a range type SEMVER, ECOSYSTEM or GIT' }),
  events: z.array(eventSchema, { error: 'expected a list of events like [{"introduced": "0"}, {"fixed": "1.2.4"}]' }).min(1, 'expected at least one event'),
});

const affectedSchema = z.looseObject({
  package: z.looseObject({
    ecosystem: z.string({ error: 'expected the package\'s ecosystem, like npm or PyPI' }).min(1),
    name: z.string({ error: 'expected the package name' }).min(1),
  }, { error: 'expected {ecosystem, name}' }).optional(),
  ranges: z.array(rangeSchema, { error: 'expected a list of ranges' }).optional(),
  versions: z.array(z.string(), { error: 'expected a list of version strings' }).optional(),
  database_specific: z.looseObject({ severity: z.string().optional() }).optional(),
  ecosystem_specific: z.looseObject({ severity: z.string().optional() }).optional(),
});

export const osvRecordSchema = z.looseObject({
  id: z.string({ error: 'expected the advisory id, like GHSA-xxxx-xxxx-xxxx' }).min(1),
  modified: z.string({ error: 'expected the RFC 3339 time of the last change' }).min(1),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string(), { error: 'expected a list of ids' }).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(z.looseObject({ type: z.string(), score: z.string() }), { error: 'expected a list of {type, score}' }).optional(),
  affected: z.array(affectedSchema, { error: 'expected a list of affected packages' }).optional(),
  database_specific: z.looseObject({ severity: z.string().optional() }).optional(),
});
export type OsvRecord = z.output<typeof osvRecordSchema>;

/** A bad record: the file, the place inside it, what was expected. */
export class OsvRecordError extends Error {}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('') || '(the record)';
}

/** One record from its file's text; `file` names it in errors. */
export function parseOsvRecord(file: string, text: string): OsvRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OsvRecordError(`${file}: not JSON: ${(err as Error).message}`);
  }
  const parsed = osvRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // A union's message says which event shapes exist; its sub-issues only repeat them.
    throw new OsvRecordError(`${file}: ${formatPath(issue.path)}: ${issue.message} (OSV schema, https://ossf.github.io/osv-schema/)`);
  }
  return parsed.data;
}


/** Advisories indexed by ecosystem and normalised package name. */
export interface AdvisoryIndex {
  records: number;
  byPackage: Map<string, { record: OsvRecord; affected: NonNullable<OsvRecord['affected']>[number] }[]>;
}

const indexKey = (ecosystem: OsvEcosystem, name: string) => `${ecosystem}\u0000${normalisePackageName(ecosystem, name)}`;

/** Indexes records; withdrawn ones are left out, and ecosystems this code does not compare are skipped. */
export function indexAdvisories(records: OsvRecord[]): AdvisoryIndex {
  const byPackage: AdvisoryIndex['byPackage'] = new Map();
  let count = 0;
  for (const record of records) {
    if (record.withdrawn !== undefined) continue;
    count++;
    for (const affected of record.affected ?? []) {
      // `Maven`, `PyPI`, also `npm:`-suffixed ecosystems like `Debian:11` are out of scope; `Go` and `npm` as is.
      const ecosystem = OSV_ECOSYSTEMS.find((e) => e === affected.package?.ecosystem);
      if (ecosystem === undefined || affected.package === undefined) continue;
      const key = indexKey(ecosystem, affected.package.name);
      byPackage.set(key, [...byPackage.get(key) ?? [], { record, affected }]);
    }
  }
  return { records: count, byPackage };
}

type Affected = NonNullable<OsvRecord['affected']>[number];

/**
 * Whether `version` is affected: listed in `versions`, or inside a SEMVER/ECOSYSTEM range (events
 * in order: introduced opens, fixed and limit close before, last_affected closes after; "0" is the
 * beginning). GIT ranges name commits, not versions, and are not used.
 */
export function isAffected(ecosystem: OsvEcosystem, affected: Affected, version: string): boolean {
  const cmp = (a: string, b: string) => compareVersions(ecosystem, a, b);
  if ((affected.versions ?? []).some((v) => v === version || cmp(v, version) === 0)) return true;
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT') continue;
    const events = [...range.events].sort((x, y) => {
      const vx = Object.values(x)[0]!;
      const vy = Object.values(y)[0]!;
      if (vx === '0') return vy === '0' ? 0 : -1;
      if (vy === '0') return 1;
      return cmp(vx, vy) ?? 0;
    });
    let inside = false;
    for (const event of events) {
      if ('introduced' in event) {
        if (event.introduced === '0' || (cmp(version, event.introduced) ?? -1) >= 0) inside = true;
      } else if ('fixed' in event) {
        if ((cmp(version, event.fixed) ?? -1) >= 0) inside = false;
      } else if ('limit' in event) {
        if ((cmp(version, event.limit) ?? -1) >= 0) inside = false;
      } else if ((cmp(version, event.last_affected) ?? -1) > 0) inside = false;
    }
    if (inside) return true;
  }
  return false;
}

function severityOf(record: OsvRecord, affected: Affected): string | undefined {
  return record.database_specific?.severity ?? affected.database_specific?.severity ?? affected.ecosystem_specific?.severity ?? record.severity?.[0]?.score;
}

/** The advisories that affect `version` of a package, each with its fixed versions. */
export function advisoriesFor(index: AdvisoryIndex, ecosystem: OsvEcosystem, name: string, version: string): Advisory[] {
  const found = new Map<string, Advisory>();
  for (const { record, affected } of index.byPackage.get(indexKey(ecosystem, name)) ?? []) {
    if (!isAffected(ecosystem, affected, version)) continue;
    const fixed = (affected.ranges ?? []).filter((r) => r.type !== 'GIT').flatMap((r) => r.events.flatMap((e) => ('fixed' in e ? [e.fixed] : [])));
    const seen = found.get(record.id);
    const severity = severityOf(record, affected);
    found.set(record.id, {
      id: record.id,
      aliases: record.aliases ?? [],
      ...(record.summary !== undefined ? { summary: record.summary.slice(0, 300) } : {}),
      ...(severity !== undefined ? { severity } : {}),
      url: `https://osv.dev/vulnerability/${encodeURIComponent(record.id)}`,
      fixed: [...new Set([...seen?.fixed ?? [], ...fixed])],
    });
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}
