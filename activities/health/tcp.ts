import { connect } from 'node:net';
import { renderHost } from '../../policies/common/templates';
import type { HealthCheckRunner } from './check';

type TcpCheck = Extract<Parameters<HealthCheckRunner>[0], { kind: 'tcp' }>;

export const tcpCheck: HealthCheckRunner<TcpCheck> = (check, ctx) => {
  const host = renderHost(check.host, ctx.values);
  const where = `${host}:${check.port}`;
  return new Promise((resolve) => {
    const socket = connect({ host, port: check.port });
    const done = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ ok, detail });
    };
    socket.setTimeout(ctx.timeoutMs, () => done(false, `${where}: no connection within ${ctx.timeoutMs} ms`));
    socket.once('connect', () => done(true, `${where} accepts connections`));
    socket.once('error', (err) => done(false, `${where}: ${err.message}`));
  });
};
