import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../../policies/common/failures';
import type { Channel } from '../../../policies/organisation/schema';
import { postJson } from '../http';
import { channelUrl, readSecret } from '../secrets';
import type { NoticeChannel } from './channel';

/** The notice as JSON, signed with the channel's secret (X-Maint-Signature); unsigned only when the channel says `unsigned: true`. */
export const webhookChannel: NoticeChannel<Extract<Channel, { kind: 'webhook' }>> = async (channel, { message, json, deliveryId, what }) => {
  const secret = readSecret({ env: channel.secretEnv, file: channel.secretFile, settings: { env: 'secretEnv', file: 'secretFile' } }, `channel ${channel.name}`);
  // Checked here too: a plan made before secrets were required may still be in a schedule.
  if (secret === undefined && channel.unsigned !== true) throw ApplicationFailure.nonRetryable(`${what}: channel ${channel.name} names no secretEnv or secretFile (set unsigned: true to send unsigned)`, FAILURE.NoticeInvalid);
  await postJson(channelUrl(channel), { id: deliveryId, ...json, subject: message.subject, text: message.text }, { ...(secret !== undefined ? { secret } : {}), deliveryId, what });
  return { state: 'sent' };
};
