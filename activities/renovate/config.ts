/**
 * The Renovate configuration for one lookup run. Pure: the caller writes it to a fresh temporary
 * directory (RENOVATE_CONFIG_FILE) and passes secrets through the environment only.
 */

/** Input of one Renovate lookup over one checkout (plain data: it crosses the Temporal payload boundary). */
export interface RenovateLookupInput {
  /** Absolute path of the checkout; only files tracked by git are seen (or all files of a plain directory). */
  checkoutDir: string;
  /** Renovate managers to run: `npm`, `dockerfile`, `github-actions`, ... */
  managers: string[];
  /**
   * The npm registry for every npm lookup (`http://127.0.0.1:4873/`). When set it replaces the
   * repository's own `.npmrc` (npmrcMerge false); when absent the repository's `.npmrc` decides.
   * Renovate silently ignores an `.npmrc` registry naming `localhost`: use 127.0.0.1.
   */
  npmRegistryUrl?: string;
  /** Docker registries images are looked up in (`127.0.0.1:5000`); `insecure` ones are spoken to over plain http. */
  dockerRegistries?: { host: string; insecure: boolean }[];
  /**
   * A PEP 503 simple index (`http://127.0.0.1:8080/simple/`) for every pypi lookup (pip_requirements,
   * pep621, poetry): it replaces an `--index-url` a requirements file names. Renovate speaks the
   * simple API only to a URL ending in `/simple/`.
   */
  pypiRegistryUrl?: string;
  /**
   * A Go module proxy (`http://127.0.0.1:3000`) for every gomod lookup: Renovate's go datasource is
   * given it as GOPROXY (it takes no registryUrls). Absent: the worker's GOPROXY, else proxy.golang.org.
   */
  goproxyUrl?: string;
  /** A Maven repository (`http://127.0.0.1:8081/maven2/`) for every maven lookup: it replaces a POM's `<repositories>` and Maven Central. */
  mavenRegistryUrl?: string;
  /**
   * A GitHub server for the github-tags / github-releases / github-digest datasources (and so for
   * github-actions): either a server base (`http://127.0.0.1:8080`, `https://github.example.com`),
   * where Renovate calls REST under `/api/v3/` and GraphQL at `/api/graphql`, or that `/api/v3` URL
   * itself. `https://api.github.com` or absent: github.com.
   */
  githubApiUrl?: string;
  /** Token for githubApiUrl (or github.com). Passed to Renovate through its environment only. */
  githubToken?: string;
  /**
   * The policy's minimumReleaseAge: Renovate then proposes, per update type, the newest version
   * that is old enough (internalChecksFilter strict), or the newest one, marked pending, when none
   * is; the policy holds a version that is too young.
   */
  minimumReleaseAgeMs?: number;
  /**
   * Packages with a known vulnerability whose fix minimumReleaseAge held back: for these only the
   * minimum is lifted (as Renovate's vulnerabilityAlerts `minimumReleaseAge: null`).
   */
  securityPackages?: string[];
}

/** The global configuration of one run; a repository's own renovate.json (if any) still refines it. */
export function renovateConfig(input: RenovateLookupInput, dirs: { cacheDir: string; baseDir: string }): Record<string, unknown> {
  const hostRules = (input.dockerRegistries ?? [])
    .filter((registry) => registry.insecure)
    // A URL matchHost is a prefix match including the port; a bare host would match every port.
    .map((registry) => ({ hostType: 'docker', matchHost: `https://${registry.host}`, insecureRegistry: true }));
  const packageRules = [
    ...(input.githubApiUrl !== undefined ? [{ matchDatasources: ['github-tags', 'github-releases', 'github-digest'], registryUrls: [input.githubApiUrl.replace(/\/+$/, '')] }] : []),
    ...(input.pypiRegistryUrl !== undefined ? [{ matchDatasources: ['pypi'], registryUrls: [input.pypiRegistryUrl.replace(/\/*$/, '/')] }] : []),
    ...(input.mavenRegistryUrl !== undefined ? [{ matchDatasources: ['maven'], registryUrls: [input.mavenRegistryUrl.replace(/\/*$/, '/')] }] : []),
    // `// indirect` requirements are updated too (Renovate leaves them disabled by default); the go and
    // toolchain directives are the language version the module's owners chose, not a dependency.
    ...(input.managers.includes('gomod') ? [
      { matchManagers: ['gomod'], matchDepTypes: ['indirect'], enabled: true },
      { matchManagers: ['gomod'], matchDepTypes: ['golang', 'toolchain'], enabled: false },
    ] : []),
    ...(input.securityPackages?.length ? [{ matchPackageNames: input.securityPackages, minimumReleaseAge: null }] : []),
  ];
  return {
    onboarding: false,
    requireConfig: 'optional',
    enabledManagers: input.managers,
    // `^1.2.3` → `^1.2.4` is proposed instead of leaving the range alone because it already allows it.
    rangeStrategy: 'bump',
    // One candidate per update type, so a policy can take the patch and refuse the minor.
    separateMajorMinor: true,
    separateMinorPatch: true,
    separateMultipleMajor: true,
    fetchChangeLogs: 'off',
    // Without a github.com token Renovate skips every action as "github-token-required" before it
    // would ask the server given in githubApiUrl; the token for that server comes from the environment.
    ...(input.githubApiUrl !== undefined ? { githubTokenWarn: false } : {}),
    dependencyDashboard: false,
    // Loopback and private registries are the normal case here; 44.x warns on each request otherwise.
    internalHostAccess: 'allow',
    cacheDir: dirs.cacheDir,
    baseDir: dirs.baseDir,
    persistRepoData: false,
    ...(input.minimumReleaseAgeMs !== undefined ? { minimumReleaseAge: `${Math.ceil(input.minimumReleaseAgeMs / 1000)} seconds`, internalChecksFilter: 'strict' } : {}),
    ...(input.npmRegistryUrl !== undefined ? { npmrc: `registry=${input.npmRegistryUrl}\n`, npmrcMerge: false } : {}),
    hostRules,
    packageRules,
  };
}

/**
 * Host rules carrying the GitHub token, for Renovate's RENOVATE_HOST_RULES environment variable
 * (merged with the file's hostRules): the token never lands in a file.
 */
export function githubTokenHostRules(input: RenovateLookupInput): { hostType: string; matchHost: string; token: string }[] {
  if (input.githubToken === undefined) return [];
  const server = input.githubApiUrl?.replace(/\/+$/, '').replace(/\/api\/v3$/, '');
  if (server === undefined || server === 'https://api.github.com' || server === 'https://github.com') {
    return [{ hostType: 'github', matchHost: 'github.com', token: input.githubToken }];
  }
  return [{ hostType: 'github', matchHost: server, token: input.githubToken }];
}
