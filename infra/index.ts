// `pulumi up` entry point: the fleet from this stack's config; `inventory` is what
// `maint rollout` reads (save `pulumi stack output --json` to a file, or use the pulumi-stack source).
import { createFleet, readConfig } from './fleet';

const fleet = createFleet(readConfig());

export const inventory = fleet.inventory;
export const albDnsName = fleet.albDnsName;
