import { Client, Connection } from '@temporalio/client';
import { parseEnvironment } from '../policies/environment';
import { startSimulatedFleet, type SimulatedFleet } from '../simulator/fleet';
import type { hostFactsWorkflow } from '../workflows/hostFacts';
import { runDev } from './dev';
import { renderFacts } from './hosts';

/**
 * `maint demo`: `maint dev` plus a simulated fleet of 12 hosts (real SSH servers in-process), on
 * which it runs a real workflow; one host presents a host key other than the pinned one.
 */
export async function runDemo(options: { port: number; dataDir?: string }): Promise<number> {
  let fleet: SimulatedFleet | undefined;
  try {
    return await runDev({
      port: options.port,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      onReady: async (address) => {
        fleet = await startSimulatedFleet({
          count: 12,
          namePrefix: 'web',
          tags: (i) => ({ role: 'web', patchGroup: i < 6 ? 'a' : 'b' }),
          faults: (i) => (i === 7 ? { wrongHostKey: true } : {}),
        });
        const env = parseEnvironment(process.env);
        const connection = await Connection.connect({ address });
        try {
          const client = new Client({ connection });
          const workflowId = `demo-host-facts-${Date.now()}`;
          process.stdout.write(`\ndemo: 12 simulated hosts are up; web-8 presents an impostor host key.\ndemo: running hostFactsWorkflow ${workflowId} ...\n\n`);
          const results = await client.workflow.execute<typeof hostFactsWorkflow>('hostFactsWorkflow', {
            taskQueue: env.MAINT_TASK_QUEUE,
            workflowId,
            args: [{ hosts: fleet.hosts.map(({ name, address, port, user, hostKey, identityFile, tags }) => ({ name, address, port, user, hostKey, identityFile: identityFile!, tags })) }],
          });
          process.stdout.write(`${renderFacts(results)}\n\ndemo: see the workflow in the Web UI; Ctrl-C stops everything.\n`);
        } finally {
          await connection.close();
        }
      },
    });
  } finally {
    await fleet?.stop();
  }
}
