import type { Kysely } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

/**
 * One step of the schema, applied once per database, in name order. Forward only: a release never
 * edits or removes a migration that shipped, it adds the next one. Write DDL both engines accept
 * (Kysely's schema builder); branch on `engine` only where they differ (identity columns, JSON).
 */
export interface StoreMigration {
  /** `NNNN-what`: the order is the name's. */
  name: string;
  // The schema as it is at this step, not as it ends up: hence untyped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, engine: Engine): Promise<void>;
}
