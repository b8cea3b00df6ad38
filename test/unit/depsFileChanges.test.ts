import { applyUpdatesToText } from '../../policies/deps/fileChanges';
import { FileChangeError } from '../../policies/deps/managers/manager';
import { replaceGoSumLines } from '../../policies/deps/managers/gomod';
import type { DetectedUpdate } from '../../policies/deps/types';

const pkg = `{
  "name": "shop",
  "dependencies": {
    "left-pad":   "^1.2.3",
    "exact": "1.0.0"
  },
  "devDependencies": {
    "left-pad": "~1.2.3"
  }
}
`;

const npm = (over: Partial<DetectedUpdate>): DetectedUpdate => ({
  manager: 'npm', packageFile: 'package.json', depName: 'left-pad', datasource: 'npm', depType: 'dependencies',
  currentValue: '^1.2.3', updateType: 'patch', newValue: '^1.2.4', newVersion: '1.2.4', ...over,
});

describe('file changes keep everything but the version', () => {
  it('package.json: the right section, the range style and the formatting', () => {
    const out = applyUpdatesToText('package.json', pkg, [
      npm({}),
      npm({ depType: 'devDependencies', currentValue: '~1.2.3', newValue: '~1.2.4' }),
      npm({ depName: 'exact', currentValue: '1.0.0', newValue: '1.1.0', newVersion: '1.1.0', updateType: 'minor' }),
    ]);
    expect(out).toBe(pkg.replace('"^1.2.3"', '"^1.2.4"').replace('"~1.2.3"', '"~1.2.4"').replace('"1.0.0"', '"1.1.0"'));
    // Applying again (a retried activity) changes nothing.
    expect(applyUpdatesToText('package.json', out, [npm({})])).toBe(out);
  });

  it('package.json changed since the scan is an error naming file and package', () => {
    expect(() => applyUpdatesToText('package.json', pkg, [npm({ currentValue: '^1.0.0' })])).toThrow(
      new FileChangeError('package.json', 'left-pad', 'expected "^1.0.0" in dependencies but found "^1.2.3" (the file changed since the scan)'),
    );
    expect(() => applyUpdatesToText('package.json', pkg, [npm({ depName: 'nope', depType: undefined })])).toThrow(/package\.json: nope: is not declared/);
  });

  it('Dockerfile FROM: tag suffix and digest pinning kept, other lines untouched', () => {
    const text = [
      'FROM 127.0.0.1:5000/library/node:20.11-alpine@sha256:1111 AS build',
      'RUN echo node:20.11-alpine',
      'FROM 127.0.0.1:5000/base:1.0.0',
      'FROM 127.0.0.1:5000/base:1.0.0-slim',
      '',
    ].join('\n');
    const out = applyUpdatesToText('Dockerfile', text, [
      {
        manager: 'dockerfile', packageFile: 'Dockerfile', depName: '127.0.0.1:5000/library/node', datasource: 'docker',
        currentValue: '20.11-alpine', currentDigest: 'sha256:1111', replaceString: '127.0.0.1:5000/library/node:20.11-alpine@sha256:1111',
        updateType: 'minor', newValue: '20.12-alpine', newVersion: '20.12-alpine', newDigest: 'sha256:2222',
      },
      {
        manager: 'dockerfile', packageFile: 'Dockerfile', depName: '127.0.0.1:5000/base', datasource: 'docker',
        currentValue: '1.0.0', replaceString: '127.0.0.1:5000/base:1.0.0', updateType: 'patch', newValue: '1.0.1', newVersion: '1.0.1',
      },
    ]);
    expect(out.split('\n')).toEqual([
      'FROM 127.0.0.1:5000/library/node:20.12-alpine@sha256:2222 AS build',
      'RUN echo node:20.11-alpine',
      'FROM 127.0.0.1:5000/base:1.0.1',
      'FROM 127.0.0.1:5000/base:1.0.0-slim',
      '',
    ]);
  });

  it('workflow uses: tag refs and SHA-pinned refs with a version comment keep their style', () => {
    const text = [
      'steps:',
      '  - uses: actions/checkout@v4',
      '  - uses: actions/setup-node@1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b # v4.0.1',
      '',
    ].join('\n');
    const out = applyUpdatesToText('.github/workflows/ci.yml', text, [
      {
        manager: 'github-actions', packageFile: '.github/workflows/ci.yml', depName: 'actions/checkout', datasource: 'github-tags',
        currentValue: 'v4', replaceString: 'actions/checkout@v4', updateType: 'major', newValue: 'v5', newVersion: 'v5',
      },
      {
        manager: 'github-actions', packageFile: '.github/workflows/ci.yml', depName: 'actions/setup-node', datasource: 'github-tags',
        currentValue: 'v4.0.1', currentDigest: '1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b',
        replaceString: 'actions/setup-node@1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b # v4.0.1',
        updateType: 'minor', newValue: 'v4.1.0', newVersion: 'v4.1.0', newDigest: 'ffffeeeeddddccccbbbbaaaa9999888877776666',
      },
    ]);
    expect(out.split('\n')).toEqual([
      'steps:',
      '  - uses: actions/checkout@v5',
      '  - uses: actions/setup-node@ffffeeeeddddccccbbbbaaaa9999888877776666 # v4.1.0',
      '',
    ]);
  });

  it('a digest that contains the old version is not mistaken for it', () => {
    const out = applyUpdatesToText('Dockerfile', 'FROM r/img:1@sha256:a1b1\n', [{
      manager: 'dockerfile', packageFile: 'Dockerfile', depName: 'r/img', datasource: 'docker', currentValue: '1', currentDigest: 'sha256:a1b1',
      updateType: 'major', newValue: '2', newVersion: '2', newDigest: 'sha256:c2d2',
    }]);
    expect(out).toBe('FROM r/img:2@sha256:c2d2\n');
  });

  it('Helm values: the tag next to its repository is rewritten in its own quoting; the same text elsewhere is not', () => {
    const values = [
      'appVersion: "1.25.3"',
      'image:',
      '  registry: 127.0.0.1:5000',
      '  repository: library/nginx',
      '  tag: "1.25.3"',
      'sidecar:',
      '  image:',
      '    repository: 127.0.0.1:5000/library/nginx',
      "    tag: '1.25.3'",
      'other:',
      '  repository: library/redis',
      '  tag: 1.25.3',
      'inline: 127.0.0.1:5000/library/busybox:1.36',
      '',
    ].join('\n');
    const helm = (over: Partial<DetectedUpdate>): DetectedUpdate => ({
      manager: 'helm-values', packageFile: 'values.yaml', depName: '127.0.0.1:5000/library/nginx', datasource: 'docker',
      currentValue: '1.25.3', replaceString: '1.25.3', updateType: 'patch', newValue: '1.25.4', newVersion: '1.25.4', ...over,
    });
    const out = applyUpdatesToText('values.yaml', values, [
      helm({}),
      helm({ depName: '127.0.0.1:5000/library/busybox', currentValue: '1.36', replaceString: '127.0.0.1:5000/library/busybox:1.36', updateType: 'minor', newValue: '1.37', newVersion: '1.37' }),
    ]);
    expect(out.split('\n')).toEqual(values.split('\n').map((line) => line
      .replace('tag: "1.25.3"', 'tag: "1.25.4"').replace("tag: '1.25.3'", "tag: '1.25.4'").replace('busybox:1.36', 'busybox:1.37')));
    expect(applyUpdatesToText('values.yaml', out, [helm({})])).toBe(out);
    // A pinned digest moves with the tag.
    expect(applyUpdatesToText('values.yaml', 'image:\n  repository: r/app\n  tag: 1.0.0@sha256:a1\n', [helm({ depName: 'r/app', currentValue: '1.0.0', currentDigest: 'sha256:a1', newValue: '1.0.1', newDigest: 'sha256:b2' })]))
      .toBe('image:\n  repository: r/app\n  tag: 1.0.1@sha256:b2\n');
    expect(() => applyUpdatesToText('values.yaml', 'image:\n  repository: r/app\n  tag: 1.10\n', [helm({ depName: 'r/app', currentValue: '1.1', newValue: '1.2' })]))
      .toThrow(new FileChangeError('values.yaml', 'r/app', 'the tag is written as 1.10, which YAML reads as 1.1; quote it ("1.10") so it stays a version'));
    expect(() => applyUpdatesToText('values.yaml', values, [helm({ currentValue: '1.0.0' })]))
      .toThrow(/values\.yaml: 127\.0\.0\.1:5000\/library\/nginx: cannot find a "repository: 127\.0\.0\.1:5000\/library\/nginx" with "tag: 1\.0\.0"/);
  });

  it('Compose image: lines of services keep their digest pinning', () => {
    const compose = 'services:\n  web:\n    image: "127.0.0.1:5000/library/node:20.11-alpine"\n  db:\n    image: 127.0.0.1:5000/postgres:15.4@sha256:aa11\n';
    const out = applyUpdatesToText('compose.yaml', compose, [
      { manager: 'docker-compose', packageFile: 'compose.yaml', depName: '127.0.0.1:5000/library/node', datasource: 'docker', currentValue: '20.11-alpine', replaceString: '127.0.0.1:5000/library/node:20.11-alpine', updateType: 'minor', newValue: '20.12-alpine', newVersion: '20.12-alpine' },
      { manager: 'docker-compose', packageFile: 'compose.yaml', depName: '127.0.0.1:5000/postgres', datasource: 'docker', currentValue: '15.4', currentDigest: 'sha256:aa11', replaceString: '127.0.0.1:5000/postgres:15.4@sha256:aa11', updateType: 'minor', newValue: '15.5', newVersion: '15.5', newDigest: 'sha256:bb22' },
    ]);
    expect(out).toBe('services:\n  web:\n    image: "127.0.0.1:5000/library/node:20.12-alpine"\n  db:\n    image: 127.0.0.1:5000/postgres:15.5@sha256:bb22\n');
  });
});

describe('Python files keep everything but the version specifier', () => {
  const py = (over: Partial<DetectedUpdate>): DetectedUpdate => ({
    manager: 'pip_requirements', packageFile: 'requirements.txt', depName: 'requests', datasource: 'pypi',
    currentValue: '==2.31.0', updateType: 'minor', newValue: '==2.32.3', newVersion: '2.32.3', ...over,
  });

  it('requirements.txt: the pinned line only, its extras, marker and comment kept; a name spelt differently elsewhere is the same package', () => {
    const text = '-i https://pypi.example.com/simple/\nrequests[socks] == 2.31.0 ; python_version >= "3.8"  # http\nrequests-oauthlib==2.31.0\nflask>=2.0,<3\n';
    const out = applyUpdatesToText('requirements.txt', text, [py({ currentValue: '== 2.31.0', newValue: '== 2.32.3' }), py({ depName: 'Flask', currentValue: '>=2.0,<3', newValue: '>=2.0,<4', updateType: 'major', newVersion: '3.0.0' })]);
    expect(out).toBe(text.replace('== 2.31.0 ;', '== 2.32.3 ;').replace('flask>=2.0,<3', 'flask>=2.0,<4'));
    expect(applyUpdatesToText('requirements.txt', out, [py({ currentValue: '== 2.31.0', newValue: '== 2.32.3' })])).toBe(out);
    expect(() => applyUpdatesToText('requirements.txt', 'requests==2.30.0\n', [py({})])).toThrow('requirements.txt: requests: cannot find the requirement "requests==2.31.0" (the file changed since the scan)');
  });

  it('pyproject.toml: a PEP 621 requirement string or a Poetry table entry, in its own quotes; comments are not dependencies', () => {
    const text = '[project]\n# "requests==2.31.0" was the old pin\ndependencies = [\'requests==2.31.0\']\n\n[tool.poetry.group.dev.dependencies]\n"black" = { version = "^24.1.0", allow-prereleases = false }\n';
    const out = applyUpdatesToText('pyproject.toml', text, [
      py({ manager: 'poetry', packageFile: 'pyproject.toml' }),
      py({ manager: 'poetry', packageFile: 'pyproject.toml', depName: 'black', depType: 'dev', currentValue: '^24.1.0', newValue: '^24.4.0', newVersion: '24.4.0' }),
    ]);
    expect(out).toBe(text.replace("'requests==2.31.0'", "'requests==2.32.3'").replace('"^24.1.0"', '"^24.4.0"'));
    expect(() => applyUpdatesToText('pyproject.toml', text, [py({ manager: 'pep621', packageFile: 'pyproject.toml', depName: 'black', currentValue: '^24.1.0', newValue: '^24.4.0' })]))
      .toThrow('pyproject.toml: black: cannot find black with "^24.1.0" in a requirement string (the file changed since the scan)');
  });
});

describe('go.mod keeps everything but the version; go.sum lines are replaced in place', () => {
  const go = (over: Partial<DetectedUpdate>): DetectedUpdate => ({
    manager: 'gomod', packageFile: 'go.mod', depName: 'golang.org/x/text', datasource: 'go', depType: 'require',
    currentValue: 'v0.14.0', updateType: 'minor', newValue: 'v0.15.0', newVersion: 'v0.15.0', ...over,
  });
  const goMod = 'module example.com/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.14.0\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgolang.org/x/net v0.20.0 // indirect\n)\n\nreplace golang.org/x/net v0.20.0 => golang.org/x/net v0.19.0\n';

  it('a direct require line and an indirect one in a block: only the version changes, // indirect stays; a replace is not a requirement', () => {
    const out = applyUpdatesToText('go.mod', goMod, [go({}), go({ depName: 'golang.org/x/net', depType: 'indirect', currentValue: 'v0.20.0', newValue: 'v0.21.0', newVersion: 'v0.21.0' })]);
    expect(out).toBe(goMod.replace('text v0.14.0', 'text v0.15.0').replace('\tgolang.org/x/net v0.20.0 // indirect', '\tgolang.org/x/net v0.21.0 // indirect'));
    expect(applyUpdatesToText('go.mod', out, [go({})])).toBe(out);
    expect(() => applyUpdatesToText('go.mod', goMod, [go({ depName: 'github.com/a/b', currentValue: 'v1.2.2', newValue: 'v1.2.4' })])).toThrow('go.mod: github.com/a/b: cannot find "require github.com/a/b v1.2.2" (the file changed since the scan)');
  });

  it('a major update to a /v2 module path and the go directive are refused with the reason', () => {
    expect(() => applyUpdatesToText('go.mod', goMod, [go({ depName: 'github.com/a/b', currentValue: 'v1.2.3', newValue: 'v2.0.0', newVersion: 'v2.0.0', updateType: 'major' })]))
      .toThrow('go.mod: github.com/a/b: v2.0.0 is the module github.com/a/b/v2: a major update renames the module');
    expect(() => applyUpdatesToText('go.mod', goMod, [go({ depName: 'go', depType: 'golang', currentValue: '1.22', newValue: '1.23' })])).toThrow('go.mod: go: a golang entry is not written by maint');
    // v0 → v1 keeps the path.
    const v0 = 'module m\n\nrequire example.com/z v0.9.0\n';
    expect(applyUpdatesToText('go.mod', v0, [go({ depName: 'example.com/z', currentValue: 'v0.9.0', newValue: 'v1.0.0', newVersion: 'v1.0.0', updateType: 'major' })])).toBe('module m\n\nrequire example.com/z v1.0.0\n');
  });

  it('go.sum: the old version\'s two lines give way to the new ones where they stood; a module without lines gets them in module order', () => {
    const sum = 'a.com/x v1.0.0 h1:AAA=\na.com/x v1.0.0/go.mod h1:BBB=\ngolang.org/x/text v0.14.0 h1:CCC=\ngolang.org/x/text v0.14.0/go.mod h1:DDD=\nz.com/y v1.0.0/go.mod h1:EEE=\n';
    expect(replaceGoSumLines(sum, 'golang.org/x/text', 'v0.14.0', ['golang.org/x/text v0.15.0 h1:NEW=', 'golang.org/x/text v0.15.0/go.mod h1:NEWMOD=']))
      .toBe('a.com/x v1.0.0 h1:AAA=\na.com/x v1.0.0/go.mod h1:BBB=\ngolang.org/x/text v0.15.0 h1:NEW=\ngolang.org/x/text v0.15.0/go.mod h1:NEWMOD=\nz.com/y v1.0.0/go.mod h1:EEE=\n');
    expect(replaceGoSumLines(sum, 'm.com/new', 'v1.0.0', ['m.com/new v1.1.0 h1:M='])).toBe(sum.replace('z.com/y', 'm.com/new v1.1.0 h1:M=\nz.com/y'));
  });
});

describe('pom.xml keeps everything but the version; a ${property} version is changed in <properties>', () => {
  const mvn = (over: Partial<DetectedUpdate>): DetectedUpdate => ({
    manager: 'maven', packageFile: 'pom.xml', depName: 'org.slf4j:slf4j-api', datasource: 'maven', depType: 'compile',
    currentValue: '2.0.9', updateType: 'patch', newValue: '2.0.13', newVersion: '2.0.13', ...over,
  });
  const pom = `<project>
  <parent><groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>2.0.9</version></parent>
  <!-- <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency> -->
  <properties>
    <slf4j.version>2.0.9</slf4j.version>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>\${slf4j.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version> 2.0.9 </version>
    </dependency>
  </dependencies>
  <build><plugins>
    <plugin>
      <artifactId>maven-surefire-plugin</artifactId>
      <version>3.2.2</version>
      <dependencies><dependency><groupId>org.acme</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.2.2</version></dependency></dependencies>
    </plugin>
  </plugins></build>
</project>
`;

  it('a literal version: the dependency\'s own <version>, not a comment, not the parent\'s or a property with the same text', () => {
    const out = applyUpdatesToText('pom.xml', pom, [mvn({})]);
    expect(out).toBe(pom.replace('<version> 2.0.9 </version>', '<version> 2.0.13 </version>'));
    expect(applyUpdatesToText('pom.xml', out, [mvn({})])).toBe(out);
  });

  it('a property version: the property changes, the ${…} reference stays; the parent and a plugin without groupId by their own element', () => {
    const out = applyUpdatesToText('pom.xml', pom, [
      mvn({ depName: 'org.slf4j:slf4j-simple', sharedVariableName: 'slf4j.version' }),
      mvn({ depName: 'org.acme:acme-parent', depType: 'parent', newValue: '2.1.0', newVersion: '2.1.0' }),
      mvn({ depName: 'org.apache.maven.plugins:maven-surefire-plugin', depType: 'build', currentValue: '3.2.2', newValue: '3.2.5', newVersion: '3.2.5' }),
    ]);
    expect(out).toBe(pom.replace('<slf4j.version>2.0.9<', '<slf4j.version>2.0.13<').replace('acme-parent</artifactId><version>2.0.9<', 'acme-parent</artifactId><version>2.1.0<')
      .replace('<artifactId>maven-surefire-plugin</artifactId>\n      <version>3.2.2</version>', '<artifactId>maven-surefire-plugin</artifactId>\n      <version>3.2.5</version>'));
    // Another dependency sharing the property, in the same PR, finds it already written.
    expect(applyUpdatesToText('pom.xml', out, [mvn({ depName: 'org.slf4j:slf4j-api', sharedVariableName: 'slf4j.version' })])).toBe(out);
  });

  it('what the scan saw is gone: the file, the coordinate or the property is named', () => {
    expect(() => applyUpdatesToText('pom.xml', pom, [mvn({ currentValue: '2.0.8' })])).toThrow('pom.xml: org.slf4j:slf4j-api: cannot find a dependency, plugin or extension org.slf4j:slf4j-api with <version>2.0.8</version> (the file changed since the scan)');
    expect(() => applyUpdatesToText('pom.xml', pom, [mvn({ sharedVariableName: 'slf4j-api.version' })])).toThrow('pom.xml: org.slf4j:slf4j-api: cannot find the property <slf4j-api.version>2.0.9</slf4j-api.version> in <properties>');
    expect(() => applyUpdatesToText('pom.xml', '<project>\n  <dependencies>\n</project>\n', [mvn({})])).toThrow('pom.xml: org.slf4j:slf4j-api: is not well-formed XML: </project> on line 3 closes <dependencies>');
  });
});
