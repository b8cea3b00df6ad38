import { z } from 'zod';

/**
 * Field types several files' schemas share (organisation, rollout policy, probes): written once so
 * a message reads the same wherever the field is.
 */

/** A name users give a thing: lower case, digits and "-". */
export const lowerName = (example: string) => z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, `expected a lower-case name with digits and "-", like ${example}`);
export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name like MAINT_SMTP_PASSWORD');
export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** A regular expression, checked when the file is read (not when it is first used). */
export const regexSchema = z.string().refine((re) => {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}, 'expected a valid regular expression');
