// Replays every history JSON file in a folder against today's workflow code, outside Jest (whose
// module registry trips protobufjs' JSON decoding). Prints one JSON line per history.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowsPath } from '../../worker';

async function main(dir: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const history: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    try {
      await Worker.runReplayHistory({ workflowsPath: workflowsPath(), replayName: file }, history);
      process.stdout.write(`${JSON.stringify({ file, ok: true })}\n`);
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ file, ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
    }
  }
}

if (require.main === module) {
  main(process.argv[2] ?? '.').catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
