import { Client, Connection } from '@temporalio/client';
import { parseEnvironment, type Environment } from '../policies/common/environment';
import { describeTransport, explainConnectFailure, type TemporalTarget } from '../temporalTls';
import { clientConnectionOptions, temporalTargetFromEnvironment } from '../worker';
import { CliError, EXIT } from './errors';

export interface Connected {
  client: Client;
  connection: Connection;
  target: TemporalTarget;
  env: Environment;
  close(): Promise<void>;
}

/** Connects to Temporal as configured by the environment; a clear exit-3 error when it is not there. */
export async function connectClient(envVars: NodeJS.ProcessEnv = process.env, timeoutMs = 5_000): Promise<Connected> {
  const env = parseEnvironment(envVars);
  const target = temporalTargetFromEnvironment(env); // an EnvironmentError (exit 2) names a bad TLS or API key file
  let connection: Connection;
  try {
    connection = await Connection.connect(clientConnectionOptions(target, timeoutMs));
  } catch (err) {
    const failure = await explainConnectFailure(err, target, env);
    const transport = describeTransport(target, env);
    throw new CliError(
      EXIT.temporalUnreachable,
      `cannot reach Temporal at ${target.address}${transport ? ` ${transport}` : ''}: ${failure.reason}\n` +
        `hint: ${failure.hint ?? 'start the embedded server with `maint dev`, or set TEMPORAL_ADDRESS to your cluster'}`,
    );
  }
  const client = new Client({ connection, namespace: target.namespace });
  return { client, connection, target, env, close: () => connection.close() };
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(fn: (c: Connected) => Promise<T>): Promise<T> {
  const c = await connectClient();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
