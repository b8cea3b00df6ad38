import { organisationSchema } from '../policies/organisation/schema';
import { z } from 'zod';
import { inventorySchema } from '../policies/inventory/hosts';
import { rolloutPolicySchema } from '../policies/rollout/policy';
import { CliError, EXIT } from './errors';

/** The file kinds users write, by the name `maint schema KIND` takes. */
export const SCHEMAS: Record<string, z.ZodType> = {
  inventory: inventorySchema,
  rollout: rolloutPolicySchema,
  organisation: organisationSchema,
};

/** JSON Schema for editors (yaml-language-server: `# yaml-language-server: $schema=inventory.schema.json`). */
export function jsonSchema(kind: string): unknown {
  const schema = SCHEMAS[kind];
  if (!schema) throw new CliError(EXIT.invalidInput, `unknown schema "${kind}"; known: ${Object.keys(SCHEMAS).join(', ')}`);
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}
