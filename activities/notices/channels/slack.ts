import type { Channel } from '../../../policies/organisation/schema';
import { postJson } from '../http';
import { channelUrl } from '../secrets';
import type { NoticeChannel } from './channel';

/** A Slack-compatible incoming webhook: subject in bold, then the text. */
export const slackChannel: NoticeChannel<Extract<Channel, { kind: 'slack' }>> = async (channel, { message, deliveryId, what }) => {
  await postJson(channelUrl(channel), { text: `*${message.subject}*\n${message.text}` }, { deliveryId, what });
  return { state: 'sent' };
};
