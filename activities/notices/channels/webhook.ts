import type { Channel } from '../../../policies/organisation/schema';
import { postJson } from '../http';
import { channelUrl, readSecret } from '../secrets';
import type { NoticeChannel } from './channel';

/** The notice as JSON, signed with the channel's secret when it names one (X-Maint-Signature). */
export const webhookChannel: NoticeChannel<Extract<Channel, { kind: 'webhook' }>> = async (channel, { message, json, deliveryId, what }) => {
  const secret = readSecret({ env: channel.secretEnv, file: channel.secretFile, settings: { env: 'secretEnv', file: 'secretFile' } }, `channel ${channel.name}`);
  await postJson(channelUrl(channel), { id: deliveryId, ...json, subject: message.subject, text: message.text }, { ...(secret !== undefined ? { secret } : {}), deliveryId, what });
  return { state: 'sent' };
};
