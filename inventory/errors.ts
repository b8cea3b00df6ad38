/** A source could not be read at all (missing file, no Pulumi CLI, no access): retrying will not help soon. */
export class InventoryUnavailableError extends Error {
  override readonly name = 'InventoryUnavailableError';
}
