import { noticeDeliveries } from './0001-notice-deliveries';
import { auditEvents } from './0002-audit-events';
import { probes } from './0003-probes';
import { inventorySnapshots } from './0004-inventory-snapshots';
import { compliance } from './0005-compliance';
import { consoleSessions } from './0008-console-sessions';
import { probeHours } from './0009-probe-hours';
import type { StoreMigration } from './types';

export type { Engine, StoreMigration } from './types';

/** Every migration, oldest first. A new one goes at the end, in a file of its own. */
export const MIGRATIONS: readonly StoreMigration[] = [noticeDeliveries, auditEvents, probes, inventorySnapshots, compliance, consoleSessions, probeHours];
