import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDirectory } from './staticDirectory';

/**
 * A real Maven repository (the layout Maven and Renovate's maven datasource read) on a free
 * loopback port: `group/as/path/artifact/maven-metadata.xml` listing the versions and
 * `<version>/<artifact>-<version>.pom` (with `.sha1`), served over plain HTTP.
 */
export interface TestMavenRepository {
  /** `http://127.0.0.1:PORT/maven2/`, for a settings.xml mirror and dependencies.registries.maven. */
  url: string;
  /** Publishes `group:artifact` at `version`: a POM of `packaging` (default pom) with `body` inside <project>. */
  publish(coordinate: string, version: string, options?: { packaging?: string; body?: string }): void;
  /** Request paths served so far. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startMavenRepository(): Promise<TestMavenRepository> {
  const root = mkdtempSync(join(tmpdir(), 'maint-maven-'));
  const served = await serveDirectory(root, (file) => (file.endsWith('.xml') || file.endsWith('.pom') ? 'application/xml' : 'text/plain'));
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    writeFileSync(`${path}.sha1`, createHash('sha1').update(text).digest('hex'));
  };
  return {
    url: `${served.url}/maven2/`,
    requests: served.requests,
    publish(coordinate, version, options = {}) {
      const [groupId, artifactId] = coordinate.split(':') as [string, string];
      const dir = join(root, 'maven2', ...groupId.split('.'), artifactId);
      mkdirSync(join(dir, version), { recursive: true });
      write(join(dir, version, `${artifactId}-${version}.pom`), `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>${groupId}</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>${version}</version>
  <packaging>${options.packaging ?? 'pom'}</packaging>
${options.body ?? ''}</project>
`);
      // Versions in publication order, as a repository manager lists them.
      const versions = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      const published = [...new Set([...(metadataOrder.get(dir) ?? []), ...versions, version])].filter((v) => versions.includes(v));
      metadataOrder.set(dir, published);
      write(join(dir, 'maven-metadata.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${groupId}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${version}</latest>
    <release>${version}</release>
    <versions>
${published.map((v) => `      <version>${v}</version>`).join('\n')}
    </versions>
    <lastUpdated>20240101000000</lastUpdated>
  </versioning>
</metadata>
`);
    },
    async stop() {
      await served.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const metadataOrder = new Map<string, string[]>();
