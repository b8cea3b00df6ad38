import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSourceKind, HostSourceOf } from '../policies/inventory/sources';

/**
 * What one kind of host source brings: how to read it, how its paths are made absolute, how
 * messages name it. One file per kind in inventory/, one line in the registry (inventory/index.ts).
 */
export interface HostSourceUnit<K extends HostSourceKind> {
  /** The hosts it describes now. Throws PolicyError (invalid content) or InventoryUnavailableError. */
  read(source: HostSourceOf<K>): Promise<ResolvedHost[]>;
  /** The same source with every path it names made absolute by `absolute` (relative to the file that names it). */
  withAbsolutePaths(source: HostSourceOf<K>, absolute: (path: string) => string): HostSourceOf<K>;
  /** How messages name it: "inventory.yaml", "stack acme/prod". */
  describe(source: HostSourceOf<K>): string;
  /**
   * Read live from a system (a Pulumi backend) with a tool and credentials the worker has, not
   * from a file: `maint apply` leaves reading it to the worker, and when it cannot be read where
   * it is asked for, a tool or its credentials are missing there (exit 4), not a file (exit 2).
   */
  live: boolean;
}

export type HostSourceRegistry = { [K in HostSourceKind]: HostSourceUnit<K> };
