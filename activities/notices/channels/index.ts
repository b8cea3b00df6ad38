import type { Channel } from '../../../policies/organisation/schema';
import type { NoticeChannel } from './channel';
import { emailChannel } from './email';
import { slackChannel } from './slack';
import { webhookChannel } from './webhook';

export type { ChannelContext, ChannelDelivery, NoticeMessage } from './channel';

/** One delivery per `Channel['kind']`: a kind left out does not compile. */
export type ChannelRegistry = { [K in Channel['kind']]: NoticeChannel<Extract<Channel, { kind: K }>> };

/** The channel deliveries by `channel.kind`; adding one is a new file plus one line here. */
const CHANNELS: ChannelRegistry = {
  email: emailChannel,
  webhook: webhookChannel,
  slack: slackChannel,
};

/** The delivery of `channel`'s kind; undefined for a kind this worker does not know (a newer policy). */
export function channelFor(channel: Channel): NoticeChannel | undefined {
  return Object.hasOwn(CHANNELS, channel.kind) ? (CHANNELS[channel.kind] as NoticeChannel) : undefined;
}
