import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts `server` on host:port (127.0.0.1 and a free port unless told), resolving once it listens. */
export async function listen(server: Server, port: number | undefined, host = '127.0.0.1'): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
