import type { RepositoryPlan } from '../../policies/deps/resolve';
import type { DetectedUpdate, ReleaseNotes } from '../../policies/deps/types';
import type { GitHubPort } from '../github/port';

/** A release body longer than this is cut at a line break, with a link to the whole text. */
export const RELEASE_NOTES_MAX_CHARS = 1500;
/** Releases asked per scan at most: every one travels in the scan's payload and costs API calls. */
const MAX_RELEASES_PER_SCAN = 40;
/** Release texts rarely change once published; a worker asks GitHub again after this long. */
const CACHE_TTL_MS = 60 * 60_000;

const cache = new Map<string, { at: number; notes: ReleaseNotes | null }>();

/** The web root of the configured GitHub (`https://github.com`, `https://ghe.example.com`), where source URLs of its repositories start. */
export function githubWebRoot(plan: Pick<RepositoryPlan, 'github' | 'checkout' | 'repo'>): string {
  if (plan.checkout.kind === 'github' && plan.checkout.cloneUrl.endsWith(`/${plan.repo}.git`)) {
    const clone = new URL(plan.checkout.cloneUrl.slice(0, -`/${plan.repo}.git`.length));
    return `${clone.protocol}//${clone.host}${clone.pathname.replace(/\/$/, '')}`; // never credentials
  }
  const api = new URL(plan.github.baseUrl);
  return api.hostname === 'api.github.com' ? 'https://github.com' : `${api.protocol}//${api.host}${api.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '')}`;
}

/** owner/repo of a source URL on the configured GitHub, or undefined for any other host. */
export function sourceRepository(sourceUrl: string, webRoot: string): { owner: string; repo: string } | undefined {
  const normalized = sourceUrl.replace(/^git\+/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  if (!normalized.toLowerCase().startsWith(`${webRoot.toLowerCase()}/`)) return undefined;
  const [owner, repo] = normalized.slice(webRoot.length + 1).split('/');
  return owner && repo && /^[\w.-]+$/.test(owner) && /^[\w.-]+$/.test(repo) ? { owner, repo } : undefined;
}

/** Cut at a line break before `max` characters; never inside the first line. */
export function shorten(body: string, max = RELEASE_NOTES_MAX_CHARS): { body: string; truncated: boolean } {
  const text = body.replace(/\r\n/g, '\n').trim();
  if (text.length <= max) return { body: text, truncated: false };
  const cut = text.lastIndexOf('\n', max);
  return { body: text.slice(0, cut > max / 3 ? cut : max).trimEnd(), truncated: true };
}

/**
 * Release notes of each update's new version, from GitHub releases when the package's source
 * repository is on the configured GitHub (the tag `v1.2.3`, `1.2.3` or `name@1.2.3`). Best effort:
 * a release GitHub cannot give is left out, never a failed scan. Cached per worker for an hour.
 */
export async function attachReleaseNotes(updates: DetectedUpdate[], plan: RepositoryPlan, github: Pick<GitHubPort, 'releaseByTag'>, now = Date.now()): Promise<DetectedUpdate[]> {
  const webRoot = githubWebRoot(plan);
  const found = new Map<string, ReleaseNotes | null>();
  const out: DetectedUpdate[] = [];
  for (const u of updates) {
    const source = u.links?.source !== undefined ? sourceRepository(u.links.source, webRoot) : undefined;
    if (!source) {
      out.push(u);
      continue;
    }
    const key = `${plan.github.baseUrl} ${source.owner}/${source.repo} ${u.depName}@${u.newVersion}`;
    if (!found.has(key)) {
      if (found.size >= MAX_RELEASES_PER_SCAN) {
        out.push(u);
        continue;
      }
      found.set(key, await releaseOf(github, source, u, key, now));
    }
    const notes = found.get(key);
    out.push(notes ? { ...u, releaseNotes: notes } : u);
  }
  return out;
}

async function releaseOf(github: Pick<GitHubPort, 'releaseByTag'>, ref: { owner: string; repo: string }, u: DetectedUpdate, key: string, now: number): Promise<ReleaseNotes | null> {
  const cached = cache.get(key);
  if (cached && now - cached.at < CACHE_TTL_MS) return cached.notes;
  let notes: ReleaseNotes | null = null;
  try {
    for (const tag of [`v${u.newVersion}`, u.newVersion, `${u.depName}@${u.newVersion}`]) {
      const release = await github.releaseByTag(ref, tag);
      if (release) {
        notes = { url: release.url, name: release.name, ...shorten(release.body) };
        break;
      }
    }
  } catch {
    return null; // not cached: GitHub may answer next time
  }
  cache.set(key, { at: now, notes });
  return notes;
}
