import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../../policies/common/failures';
import type { Channel } from '../../../policies/organisation/schema';
import type { NoticeChannel } from './channel';

/** SMTP, with the message recorded as handed over right before the server can commit it. */
export const emailChannel: NoticeChannel<Extract<Channel, { kind: 'email' }>> = async (channel, { recipient, message, deliveryId, what }, ctx) => {
  if (recipient.to === undefined) throw ApplicationFailure.nonRetryable(`${what}: no e-mail address`, FAILURE.NoticeInvalid);
  // Written just before the message's final "." (README "Notices: exactly once?"): from then on a
  // retry must not send again, whether or not this worker lives to hear the server's answer.
  let handedOver = false;
  try {
    await ctx.email.send(channel, recipient.to, { ...message, language: recipient.language }, deliveryId, async () => {
      await ctx.recordHandedOver();
      handedOver = true;
    });
    return { state: 'sent' };
  } catch (err) {
    if (!handedOver) throw err;
    // The server answered the message with a refusal: it does not have it, a retry sends it.
    if (typeof (err as { responseCode?: unknown }).responseCode === 'number') {
      await ctx.forgetHandedOver();
      throw err;
    }
    // No answer after the whole message was handed over: most likely delivered. Not sent again
    // (that could be a duplicate); reported as unconfirmed with its Message-ID.
    ctx.warn(`${what}: connection lost after the message was handed over (${(err as Error).message}); not sending it again; Message-ID <${deliveryId}@maint>`);
    return { state: 'handed-over' };
  }
};
