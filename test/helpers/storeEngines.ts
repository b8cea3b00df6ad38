import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../../harness/postgres';
import type { Engine, StoreConfig } from '../../store';

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

export interface EngineFixture {
  /** An empty database of its own (PostgreSQL: in the file's cluster; SQLite: a file in a new directory). */
  fresh(): Promise<StoreConfig>;
  /** The file's PostgreSQL cluster (postgres only). */
  postgres(): TestPostgres;
}

/**
 * For a `describe.each(ENGINES)` block: registers beforeAll/afterAll that start a PostgreSQL
 * cluster for the block (postgres) and remove everything afterwards.
 */
export function useEngine(engine: Engine): EngineFixture {
  let postgres: TestPostgres | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    if (engine === 'postgres') postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    async fresh() {
      if (engine === 'postgres') return { engine, url: await postgres!.createDatabase() };
      const dir = mkdtempSync(join(tmpdir(), 'maint-store-'));
      dirs.push(dir);
      return { engine, file: join(dir, 'data', 'store.db') };
    },
    postgres: () => postgres!,
  };
}
