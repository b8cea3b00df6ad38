import { z } from 'zod';
import { durationSchema } from '../common/durations';
import { cronExpressionProblem } from '../windows/occurrences';
import { timezoneSchema } from '../windows/schema';
import { PR_MANAGERS } from './types';

/** Update types a policy can allow (Renovate's names). */
export const POLICY_UPDATE_TYPES = ['major', 'minor', 'patch', 'digest'] as const;
export type PolicyUpdateType = (typeof POLICY_UPDATE_TYPES)[number];

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name like GITHUB_TOKEN');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const repoName = z
  .string()
  .regex(/^[A-Za-z0-9-]+\/(?!\.)[A-Za-z0-9._-]+$/, 'expected a repository as owner/name, like acme/webshop');
const repoGlob = z.string().regex(/^[A-Za-z0-9*-]+\/[A-Za-z0-9._*-]+$/, 'expected owner/name where * matches any characters, like acme/* or acme/web-*');
const packageGlob = z.string().min(1).max(214).regex(/^[^\s]+$/, 'expected a package name or a glob like @types/* (no spaces)');
const managerName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a Renovate manager name like npm, dockerfile or github-actions');
const branchSafe = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lower-case name with digits and "-" (it becomes part of the branch name), like npm-non-major');

export const githubConnectionSchema = z
  .strictObject({
    baseUrl: httpUrl.default('https://api.github.com').describe('REST API root; GitHub Enterprise: https://ghe.example.com/api/v3.'),
    gitUrl: httpUrl.optional().describe('Where repositories are cloned from (https://github.com by default; GHE: https://ghe.example.com).'),
    auth: z
      .discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('token'),
          tokenEnv: envName.optional().describe('Environment variable of the worker holding a personal access token.'),
          tokenFile: z.string().min(1).optional().describe('File on the worker holding the token.'),
        }),
        z.strictObject({
          kind: z.literal('app'),
          appId: z.number().int().positive(),
          installationId: z.number().int().positive(),
          privateKeyEnv: envName.optional().describe('Environment variable holding the app\'s PEM private key.'),
          privateKeyFile: z.string().min(1).optional().describe('File holding the app\'s PEM private key.'),
        }),
      ])
      .superRefine((auth, ctx) => {
        const [env, file] = auth.kind === 'token' ? [auth.tokenEnv, auth.tokenFile] : [auth.privateKeyEnv, auth.privateKeyFile];
        const names = auth.kind === 'token' ? 'tokenEnv or tokenFile' : 'privateKeyEnv or privateKeyFile';
        if ((env === undefined) === (file === undefined)) ctx.addIssue({ code: 'custom', message: `expected exactly one of ${names} (the secret itself is never written in this file)` });
      }),
  })
  .describe('How the worker reaches GitHub (or GitHub Enterprise). Secrets are named, never written here.');

export const registriesSchema = z
  .strictObject({
    npm: httpUrl.optional().describe('npm registry Renovate and npm use (default: what the repository\'s .npmrc says, else registry.npmjs.org).'),
    docker: z
      .array(z.strictObject({ host: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected host[:port] like registry.example.com or 127.0.0.1:5000'), insecure: z.boolean().default(false).describe('Plain HTTP (a registry on a private network).') }))
      .default([]),
    pypi: httpUrl
      .refine((url) => /\/\+?simple\/?$/.test(new URL(url).pathname), 'expected a PEP 503 simple index URL whose path ends in /simple/, like https://pypi.example.com/simple/ (the URL pip takes as --index-url)')
      .transform((url) => (url.endsWith('/') ? url : `${url}/`))
      .optional()
      .describe('PEP 503 simple index (pip\'s --index-url) for pip_requirements, pep621 and poetry lookups and requirement hashes (default: the index a requirements file names, else pypi.org).'),
    goproxy: httpUrl
      .refine((url) => !/[,|]/.test(url), 'expected one Go module proxy URL like https://goproxy.example.com (not a GOPROXY list: maint asks this proxy only, without "direct" or a fallback)')
      .refine((url) => !URL.canParse(url) || (new URL(url).search === '' && new URL(url).hash === ''), 'expected a Go module proxy URL without ?query or #fragment, like https://goproxy.example.com/go (the proxy protocol appends /<module>/@v/… to it)')
      .transform((url) => url.replace(/\/+$/, ''))
      .optional()
      .describe('Go module proxy (GOPROXY protocol) for gomod lookups and the go.sum refresh (default: the worker\'s GOPROXY, else proxy.golang.org).'),
    maven: httpUrl
      .refine((url) => !URL.canParse(url) || (new URL(url).search === '' && new URL(url).hash === ''), 'expected a Maven repository URL without ?query or #fragment, like https://maven.example.com/repository/maven-public/ (the layout group/artifact/maven-metadata.xml is appended to it)')
      .transform((url) => (url.endsWith('/') ? url : `${url}/`))
      .optional()
      .describe('Maven repository (the URL a settings.xml mirror names) for maven lookups of dependencies, plugins and parent POMs; it replaces the POM\'s <repositories> and Maven Central.'),
  })
  .describe('Registries to look updates up in, besides the public defaults.');

export const repositorySchema = z.strictObject({
  repo: repoName.describe('owner/name on GitHub.'),
  baseBranch: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'expected a branch name like main').default('main'),
  managers: z.array(managerName).min(1).default([...PR_MANAGERS]).describe('Renovate managers to run; npm, dockerfile, github-actions, docker-compose, helm-values, pip_requirements, pep621, poetry, gomod and maven open PRs, others are reported.'),
  checkout: z
    .union([z.literal('github'), z.strictObject({ path: z.string().min(1).describe('A local clone (relative to this file) instead of cloning from GitHub.') })])
    .default('github')
    .describe('Where Renovate reads the repository: cloned from GitHub over HTTPS with the token, or a local path.'),
});
export type RepositoryDefinition = z.output<typeof repositorySchema>;

/** Which updates a group (or an ignore/allow entry) matches; all given fields must match. */
const matchFields = {
  managers: z.array(managerName).optional(),
  packages: z.array(packageGlob).optional().describe('Package names or globs (* matches any characters): react, @types/*, 127.0.0.1:5000/*.'),
  updateTypes: z.array(z.enum(POLICY_UPDATE_TYPES)).optional(),
};

export const groupSchema = z.strictObject({
  name: branchSafe.describe('Group name; the PR branch is maint/deps/group-<name>.'),
  ...matchFields,
});
export type GroupDefinition = z.output<typeof groupSchema>;

export const updatePolicySchema = z
  .strictObject({
    repositories: z.array(repoGlob).min(1).default(['*/*']).describe('Repositories this policy applies to (globs).'),
    updateTypes: z.array(z.enum(POLICY_UPDATE_TYPES)).min(1).optional().describe('Allowed update types (default: all).'),
    minimumReleaseAge: durationSchema.optional().describe('Only versions released at least this long ago (e.g. 3d). A version without a known release time waits, as in Renovate.'),
    ignore: z.array(packageGlob).optional().describe('Packages never updated.'),
    allow: z.array(packageGlob).optional().describe('When given, only these packages are updated.'),
    groups: z.array(groupSchema).optional().describe('Updates matching a group share one PR; the first matching group wins (over the default groups); others get a PR per package.'),
    defaultGroups: z
      .union([
        z.boolean(),
        z.strictObject({
          monorepos: z.boolean().optional().describe('Packages of one source repository (or, without one, one npm scope) in one PR: group-monorepo-<repo> / group-scope-<scope>.'),
          types: z.boolean().optional().describe('@types/x in the PR of x (group-<x>-with-types when x has no group).'),
          devDependencies: z.boolean().optional().describe('Non-major npm devDependencies in one PR: group-npm-dev-non-major.'),
        }),
      ])
      .optional()
      .describe('Renovate\'s usual groups, all on by default: false switches all off, or one by one ({types: false}).'),
    limits: z
      .strictObject({
        maxOpenPRs: z.number().int().min(1).max(100).optional().describe('Open update PRs per repository at most (default 10).'),
        prsPerHour: z.number().int().min(1).max(100).optional().describe('New update PRs per repository per hour at most (default 5).'),
      })
      .optional(),
    labels: z.array(z.string().min(1).max(50)).optional(),
    reviewers: z.array(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a GitHub user name')).optional(),
    openWindow: z.string().min(1).optional().describe('The maintenance window (name under `windows`) inside which new update PRs are opened (Renovate\'s `schedule`); outside it they wait, open PRs are still kept up to date, and security updates are opened at any time.'),
    mergeWindow: z.string().min(1).optional().describe('The maintenance window (name under `windows`) inside which these PRs are merged.'),
    automerge: z
      .strictObject({ updateTypes: z.array(z.enum(POLICY_UPDATE_TYPES)).min(1).describe('A PR is merged automatically when all its updates are of these types.') })
      .optional()
      .describe('Merge automatically, only inside `mergeWindow` and only with green checks.'),
  })
  .describe('An update policy. Several may match a repository: later ones override the fields they set (as Renovate packageRules do).');
export type UpdatePolicyDefinition = z.output<typeof updatePolicySchema>;

export const dependenciesSchema = z
  .strictObject({
    github: githubConnectionSchema.optional(),
    registries: registriesSchema.optional(),
    advisories: z
      .strictObject({
        osv: z.string().min(1).describe('A directory holding an OSV dump as osv.dev publishes it, unzipped: <Ecosystem>/<ID>.json (npm/, PyPI/, Go/, Maven/), or a flat directory of *.json records; relative to this file.'),
      })
      .optional()
      .describe('Security advisories: dependencies whose current version an advisory affects get a [security] PR that skips minimumReleaseAge, and `maint deps status` lists open advisories.'),
    schedule: z
      .strictObject({
        cron: z.string().regex(/^\S+( \S+){4}$/, 'expected five cron fields like "0 6 * * 1-5"').describe('When all repositories are scanned, five-field cron.'),
        timezone: timezoneSchema.default('UTC'),
      })
      .optional()
      .superRefine((s, ctx) => {
        const problem = s === undefined ? undefined : cronExpressionProblem(s.cron);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
      })
      .describe('Scan every repository on this schedule (a Temporal Schedule deps-<organisation>).'),
    repositories: z.array(repositorySchema).default([]),
    policies: z.array(updatePolicySchema).default([]),
  })
  .describe('Dependency and base-image updates: Renovate finds them, the policies decide, PRs are opened on GitHub.');
export type DependenciesDefinition = z.output<typeof dependenciesSchema>;
