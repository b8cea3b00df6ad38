// Issue 21: Maven dependencies (maven) on real parts — the real Renovate against a real Maven
// repository layout (maven-metadata.xml and POMs served over HTTP), the real Octokit against the
// GitHub fake, and Maven itself building the edited POM's model from that repository.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createDependencyActivities } from '../../activities/deps';
import { productionDependencyDeps } from '../../activities/deps/production';
import { freePort } from '../../harness/ports';
import { readPom } from '../../policies/deps/managers/maven';
import { planUpdates } from '../../policies/deps/plan';
import { resolvePolicy, type RepositoryPlan } from '../../policies/deps/resolve';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { startMavenRepository, type TestMavenRepository } from '../helpers/mavenRepository';

const run = promisify(execFile);
const TOKEN = 'ghp_deps-maven-token';
const TOKEN_ENV = 'MAINT_TEST_DEPS_MAVEN_TOKEN';

jest.setTimeout(300_000);

const G = 'test.maint.tiny';

const rootPom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <!-- the parent 1.0.0 -->
  <parent>
    <groupId>${G}</groupId>
    <artifactId>tiny-parent</artifactId>
    <version>1.0.0</version>
    <relativePath/>
  </parent>
  <groupId>${G}.app</groupId>
  <artifactId>app</artifactId>
  <version>0.1.0</version>
  <packaging>pom</packaging>
  <modules>
    <module>core</module>
  </modules>
  <repositories>
    <!-- Replaced by dependencies.registries.maven: nothing listens here. -->
    <repository><id>gone</id><url>http://127.0.0.1:9/maven2/</url></repository>
  </repositories>
  <properties>
    <tiny-alpha.version>1.0.0</tiny-alpha.version>
    <tiny-gamma.version>1.0.0</tiny-gamma.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>${G}</groupId>
        <artifactId>tiny-bom</artifactId>
        <version>1.0.0</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>${G}</groupId>
      <artifactId>tiny-alpha</artifactId>
      <version>\${tiny-alpha.version}</version>
    </dependency>
    <dependency>
      <groupId>${G}</groupId>
      <artifactId>tiny-beta</artifactId>
      <version>1.0.0</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>${G}</groupId>
        <artifactId>tiny-maven-plugin</artifactId>
        <version>1.0.0</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

// A module whose dependency's version is a property of the root POM.
const corePom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>${G}.app</groupId>
    <artifactId>app</artifactId>
    <version>0.1.0</version>
  </parent>
  <artifactId>core</artifactId>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${G}</groupId>
      <artifactId>tiny-gamma</artifactId>
      <version>\${tiny-gamma.version}</version>
    </dependency>
  </dependencies>
</project>
`;

describe('Maven dependencies (real Renovate, a Maven repository, Maven itself and the GitHub fake)', () => {
  let repo: TestMavenRepository;
  let github: GitHubFake;
  let work: string;
  let activities: ReturnType<typeof createDependencyActivities>;

  const planFor = (name: string, extra: Partial<RepositoryPlan> = {}): RepositoryPlan => ({
    repo: `acme/${name}`, owner: 'acme', name, baseBranch: 'main', managers: ['maven'],
    checkout: { kind: 'github', cloneUrl: github.gitUrl('acme', name) },
    github: { baseUrl: github.url, auth: { kind: 'token', tokenEnv: TOKEN_ENV } },
    registries: { docker: [], maven: repo.url },
    policy: { ...resolvePolicy(`acme/${name}`, []), prsPerHour: 20, maxOpenPRs: 20 },
    ...extra,
  });

  /**
   * Maven builds the project model of these files (`mvn validate`: the parent POM and the imported
   * BOM are resolved from the repository, properties interpolated) with the repository as the only
   * mirror and a fresh local repository; the effective versions it reports.
   */
  const mavenModel = async (files: Record<string, string>): Promise<string> => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-mvn-check-'));
    try {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      writeFileSync(join(dir, 'settings.xml'), `<settings><mirrors><mirror><id>test</id><mirrorOf>*</mirrorOf><url>${repo.url}</url></mirror></mirrors></settings>\n`);
      const mvn = run('mvn', ['-B', '-s', join(dir, 'settings.xml'), `-Dmaven.repo.local=${join(dir, '.m2')}`, 'validate'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, JAVA_HOME: process.env.JAVA_HOME ?? '' } });
      // Maven writes its errors to stdout.
      return (await mvn.catch((err: { stdout?: string }) => Promise.reject(new Error(`mvn validate failed: ${err.stdout ?? String(err)}`)))).stdout;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    process.env[TOKEN_ENV] = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-deps-maven-'));
    [repo, github] = await Promise.all([startMavenRepository(), startGitHubFake({ token: TOKEN })]);
    activities = createDependencyActivities(productionDependencyDeps({ dataDir: work, throttle: false }));
  });

  afterAll(async () => {
    await Promise.allSettled([repo?.stop(), github?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('dependencies, dependencyManagement, plugins and the parent: the repository\'s versions are proposed and written, ${property} versions in <properties>, and Maven builds the model', async () => {
    for (const artifact of ['tiny-parent', 'tiny-bom', 'tiny-alpha', 'tiny-beta', 'tiny-gamma', 'tiny-maven-plugin']) repo.publish(`${G}:${artifact}`, '1.0.0', { packaging: artifact === 'tiny-alpha' || artifact === 'tiny-beta' || artifact === 'tiny-gamma' ? 'jar' : 'pom' });
    const files = { 'pom.xml': rootPom, 'core/pom.xml': corePom };
    // The base branch is a valid project for Maven, against the repository.
    expect(await mavenModel(files)).toMatch(/BUILD SUCCESS/);
    // …and Maven's check is real: a parent version the repository lacks fails it.
    await expect(mavenModel({ ...files, 'pom.xml': rootPom.replace('<version>1.0.0</version>\n    <relativePath/>', '<version>9.9.9</version>\n    <relativePath/>') })).rejects.toThrow(/tiny-parent:pom:9\.9\.9/);
    await github.createRepository({ owner: 'acme', name: 'javaapp', files });
    for (const [artifact, version] of [['tiny-parent', '1.1.0'], ['tiny-bom', '1.0.1'], ['tiny-alpha', '1.2.0'], ['tiny-beta', '1.0.1'], ['tiny-gamma', '1.0.2'], ['tiny-maven-plugin', '1.1.0']] as const) {
      repo.publish(`${G}:${artifact}`, version, { packaging: artifact === 'tiny-parent' || artifact === 'tiny-bom' || artifact === 'tiny-maven-plugin' ? 'pom' : 'jar' });
    }

    const plan = planFor('javaapp');
    const scan = await activities.scanRepository({ plan });
    expect(scan.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(scan.updates.map((u) => [u.packageFile, u.depName, u.depType, u.sharedVariableName ?? null, u.currentValue, u.newValue]).sort()).toEqual([
      ['pom.xml', `${G}:tiny-alpha`, 'compile', 'tiny-alpha.version', '1.0.0', '1.2.0'],
      ['pom.xml', `${G}:tiny-beta`, 'test', null, '1.0.0', '1.0.1'],
      ['pom.xml', `${G}:tiny-bom`, 'import', null, '1.0.0', '1.0.1'],
      // Declared in core/pom.xml, its version is the root's property: the update is the root's.
      ['pom.xml', `${G}:tiny-gamma`, 'compile', 'tiny-gamma.version', '1.0.0', '1.0.2'],
      ['pom.xml', `${G}:tiny-maven-plugin`, 'build', null, '1.0.0', '1.1.0'],
      ['pom.xml', `${G}:tiny-parent`, 'parent', null, '1.0.0', '1.1.0'],
    ]);
    // Looked up in the configured repository only (not the POM's dead <repositories> entry or Maven Central).
    expect([...new Set(scan.updates.map((u) => u.registryUrl))]).toEqual([repo.url.replace(/\/$/, '')]);
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    for (const pr of planned.pullRequests) await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });
    const read = async (artifact: string, file = 'pom.xml') => {
      const pr = planned.pullRequests.find((p) => p.updates.some((u) => u.depName === `${G}:${artifact}`))!;
      return (await github.readFile('acme', 'javaapp', pr.branch, file))!;
    };
    const version = (block: string, from: string, to: string) => rootPom.replace(block, block.replace(`<version>${from}</version>`, `<version>${to}</version>`));
    const block = (artifact: string) => new RegExp(`<(dependency|plugin|parent)>\\s*<groupId>${G.replace(/\./g, '\\.')}</groupId>\\s*<artifactId>${artifact}</artifactId>[\\s\\S]*?</\\1>`).exec(rootPom)![0];

    const expected: Record<string, string> = {
      'tiny-alpha': rootPom.replace('<tiny-alpha.version>1.0.0</tiny-alpha.version>', '<tiny-alpha.version>1.2.0</tiny-alpha.version>'),
      'tiny-gamma': rootPom.replace('<tiny-gamma.version>1.0.0</tiny-gamma.version>', '<tiny-gamma.version>1.0.2</tiny-gamma.version>'),
      'tiny-beta': version(block('tiny-beta'), '1.0.0', '1.0.1'),
      'tiny-bom': version(block('tiny-bom'), '1.0.0', '1.0.1'),
      'tiny-maven-plugin': version(block('tiny-maven-plugin'), '1.0.0', '1.1.0'),
      // The comment naming 1.0.0 above the parent stays.
      'tiny-parent': version(block('tiny-parent'), '1.0.0', '1.1.0'),
    };
    for (const [artifact, pom] of Object.entries(expected)) {
      expect(await read(artifact)).toBe(pom);
      // Maven builds the edited project's model: the new parent and BOM are resolved from the repository.
      const core = (await read(artifact, 'core/pom.xml'));
      expect(core).toBe(corePom);
      expect(await mavenModel({ 'pom.xml': pom, 'core/pom.xml': core })).toMatch(/BUILD SUCCESS/);
    }
    expect(repo.requests).toContain(`/maven2/${G.replace(/\./g, '/')}/tiny-parent/1.1.0/tiny-parent-1.1.0.pom`);
    expect(repo.requests).toContain(`/maven2/${G.replace(/\./g, '/')}/tiny-bom/1.0.1/tiny-bom-1.0.1.pom`);
    // The property edit leaves the dependency's ${…} reference as it was.
    expect(readPom('pom.xml', expected['tiny-alpha']!, 'x').coordinates.find((c) => c.artifactId?.value === 'tiny-alpha')?.version?.value).toBe('${tiny-alpha.version}');
  });

  it('an unreachable Maven repository is checked once, first, and named with its file and setting', async () => {
    await github.createRepository({ owner: 'acme', name: 'javaoffline', files: { 'pom.xml': rootPom } });
    const dead = `http://127.0.0.1:${await freePort()}/maven2/`;
    const scan = await activities.scanRepository({ plan: planFor('javaoffline', { registries: { docker: [], maven: dead }, file: '/etc/maint/acme.yaml' }) });
    expect(scan.unscanned).toEqual([{ manager: 'maven', reason: `/etc/maint/acme.yaml: dependencies.registries.maven ${dead} is unreachable (ECONNREFUSED); fix the URL or the registry` }]);
    expect(scan.updates).toEqual([]);
  });
});
