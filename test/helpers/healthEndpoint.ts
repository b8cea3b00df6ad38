import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface HealthAnswer {
  status: number;
  body: string;
}

/** A real HTTP health endpoint on loopback whose answer a test can change at any time. */
export interface HealthEndpoint {
  url: string;
  port: number;
  set(answer: Partial<HealthAnswer> | (() => HealthAnswer)): void;
  /** How many requests it has answered. */
  requests(): number;
  close(): Promise<void>;
}

export async function startHealthEndpoint(initial: Partial<HealthAnswer> | (() => HealthAnswer) = {}): Promise<HealthEndpoint> {
  let answer: () => HealthAnswer = () => ({ status: 200, body: 'ok' });
  const set = (next: Partial<HealthAnswer> | (() => HealthAnswer)) => {
    if (typeof next === 'function') answer = next;
    else {
      const fixed = { ...answer(), ...next };
      answer = () => fixed;
    }
  };
  set(initial);
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count++;
    const { status, body } = answer();
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    set,
    requests: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The health endpoint of a test host that serves a small "installed version": it reports the
 * version in `<hostDir>/version` and answers 503 for versions listed in `unhealthy`.
 */
export function startVersionedHealth(hostDir: string, unhealthy: Set<string>): Promise<HealthEndpoint> {
  return startHealthEndpoint(() => {
    let version = 'none';
    try {
      version = readFileSync(join(hostDir, 'version'), 'utf8').trim();
    } catch {
      // not installed yet
    }
    return unhealthy.has(version) ? { status: 503, body: `unhealthy version=${version}\n` } : { status: 200, body: `ok version=${version}\n` };
  });
}
