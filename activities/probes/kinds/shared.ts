import type { TemplateValues } from '../../../policies/common/templates';
import type { HostShell } from '../../hosts/ssh';

/** A service probe is not about one host: its URL and host hold no `{{host.…}}` variables to fill. */
export const NO_TEMPLATE_VALUES: TemplateValues = { host: { name: '', address: '', port: 0, user: '', tags: {} } };

export const noShell = (): Promise<HostShell> => Promise.reject(new Error('service probes run no commands on hosts'));
