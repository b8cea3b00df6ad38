import type { Channel } from '../../../policies/organisation/schema';
import { postJson } from '../http';
import type { NoticeChannel } from './channel';

/** A Slack-compatible incoming webhook: subject in bold, then the text. */
export const slackChannel: NoticeChannel<Extract<Channel, { kind: 'slack' }>> = async (channel, { message, deliveryId, what }) => {
  await postJson(channel.url, { text: `*${message.subject}*\n${message.text}` }, { deliveryId, what });
  return { state: 'sent' };
};
