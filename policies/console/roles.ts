import { z } from 'zod';

/** Who may do what in the console: each role may do everything the roles before it may. */
export const CONSOLE_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const consoleRoleSchema = z.enum(CONSOLE_ROLES).describe('viewer: reads every page; operator: also pauses, resumes, approves and aborts rollouts; admin: also applies and overrides.');

/** What a request wants to do, and the least role that may. */
export const PERMISSIONS = {
  read: 'viewer',
  'control-rollout': 'operator',
  'control-window': 'operator',
  override: 'admin',
  apply: 'admin',
} as const satisfies Record<string, ConsoleRole>;
export type ConsolePermission = keyof typeof PERMISSIONS;

export function allows(role: ConsoleRole, permission: ConsolePermission): boolean {
  return CONSOLE_ROLES.indexOf(role) >= CONSOLE_ROLES.indexOf(PERMISSIONS[permission]);
}
