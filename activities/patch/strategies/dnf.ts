import type { z } from 'zod';
import type { dnfStrategySchema } from '../../../policies/rollout';
import type { PatchStrategy } from '../strategy';

type DnfStrategy = z.output<typeof dnfStrategySchema>;

export const dnfStrategy: PatchStrategy<DnfStrategy> = {
  preview: () => Promise.reject(new Error('not implemented')),
  record: () => Promise.reject(new Error('not implemented')),
  apply: () => Promise.reject(new Error('not implemented')),
  rollback: () => Promise.reject(new Error('not implemented')),
  rebootRequired: () => Promise.reject(new Error('not implemented')),
};
