import { createServer, type Server } from 'node:http';

export interface HealthAnswer {
  status: number;
  body: string;
}

/** A real HTTP health endpoint on loopback whose answer a test can change at any time. */
export interface HealthEndpoint {
  url: string;
  port: number;
  set(answer: Partial<HealthAnswer>): void;
  /** How many requests it has answered. */
  requests(): number;
  close(): Promise<void>;
}

export async function startHealthEndpoint(initial: Partial<HealthAnswer> = {}): Promise<HealthEndpoint> {
  let answer: HealthAnswer = { status: 200, body: 'ok', ...initial };
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    res.writeHead(answer.status, { 'content-type': 'text/plain' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    set: (next) => (answer = { ...answer, ...next }),
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
