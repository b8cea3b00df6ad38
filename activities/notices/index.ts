import { ApplicationFailure } from '@temporalio/activity';
import type { Channel } from '../../policies/organisation/schema';
import { renderNotice, type NoticeContext, type RenderedNotice } from '../../policies/notices/render';
import type { NoticeRecipient } from '../../policies/windows/types';
import { channelFor } from './channels';
import { activityInfo, heartbeat, warn } from '../context';
import type { Store } from '../../store';
import { EmailSender } from './email';
import { deliveryId, NoticeLedger } from './ledger';
import { FAILURE } from '../../policies/common/failures';
import { redact } from '../../policies/common/redact';
import { metrics } from '../metrics';

export interface NoticeDeps {
  /** Holds the ledger of sent notices (shared by the workers of one deployment when it is PostgreSQL). */
  store: Store;
  email?: EmailSender;
}

export interface SendNoticesInput {
  /** `<window>/<occurrence>/<kind>`: with the recipient's key, each notice is sent at most once. */
  keyPrefix: string;
  window: string;
  channels: Channel[];
  recipients: NoticeRecipient[];
  notice: Omit<NoticeContext, 'language' | 'timezone' | 'recipientName'>;
  /** Attempts after which failures are reported instead of retried (the activity's retry policy backs off between them). */
  finalAttempt: number;
}

export interface NoticesResult {
  delivered: number;
  failed: Array<{ recipient: string; error: string }>;
  /** Delivered, counted in `delivered`, but the server's confirmation was never seen (see NoticeDelivery.unconfirmed). */
  unconfirmed?: string[];
}

export interface SendAlertInput {
  key: string;
  channel: Channel;
  recipient: NoticeRecipient;
  subject: string;
  text: string;
}

export interface NoticeDelivery {
  key: string;
  sentAt: string;
  /** True when an earlier attempt had already sent it (a retry after a crash). */
  alreadySent: boolean;
  /**
   * The whole e-mail was handed to the server but its answer never came (the worker died or the
   * connection broke in that moment): delivered unless the server lost it; never sent twice.
   */
  unconfirmed?: boolean;
}

/** Outside an activity there is no next attempt: report at once. */
const currentAttempt = (): number => activityInfo()?.attempt ?? Number.MAX_SAFE_INTEGER;

export function createNoticeActivities(deps: NoticeDeps) {
  const ledger = new NoticeLedger(deps.store);
  const email = deps.email ?? new EmailSender();

  /** Delivers once per key (the ledger), counting each outcome by channel kind in `maint_notices`. */
  const deliver = async (key: string, channel: Channel, recipient: NoticeRecipient, message: RenderedNotice, json: Record<string, unknown>): Promise<NoticeDelivery> => {
    try {
      const delivery = await deliverOnce(key, channel, recipient, message, json);
      metrics.notice(channel.kind, delivery.alreadySent ? 'already-sent' : delivery.unconfirmed ? 'unconfirmed' : 'sent');
      return delivery;
    } catch (err) {
      metrics.notice(channel.kind, 'failed');
      throw err;
    }
  };

  const deliverOnce = async (key: string, channel: Channel, recipient: NoticeRecipient, message: RenderedNotice, json: Record<string, unknown>): Promise<NoticeDelivery> => {
    const earlier = await ledger.entry(key);
    if (earlier?.state === 'handed-over') {
      warn(`notice to ${recipient.name} via ${channel.name} was being handed to the mail server when an earlier attempt stopped; not sending it again (delivery unconfirmed; Message-ID <${deliveryId(key)}@maint>)`);
      return { key, sentAt: earlier.sentAt, alreadySent: true, unconfirmed: true };
    }
    if (earlier !== undefined) return { key, sentAt: earlier.sentAt, alreadySent: true };
    heartbeat({ step: 'send', key });
    const id = deliveryId(key);
    const what = `notice to ${recipient.name} via ${channel.name}`;
    const send = channelFor(channel);
    // A channel kind this worker cannot deliver must fail, never be recorded as sent below.
    if (send === undefined) throw ApplicationFailure.nonRetryable(`${what}: channel kind ${(channel as { kind: string }).kind} cannot be delivered by this worker`, FAILURE.NoticeInvalid);
    const delivery = await send(channel, { recipient, message, json, deliveryId: id, what }, {
      email,
      recordHandedOver: () => ledger.recordHandedOver(key, { channel: channel.name, kind: json.kind, messageId: id }),
      forgetHandedOver: () => ledger.forget(key),
      warn,
    });
    if (delivery.state === 'handed-over') return { key, sentAt: new Date().toISOString(), alreadySent: false, unconfirmed: true };
    const sentAt = new Date().toISOString();
    await ledger.record(key, sentAt, { channel: channel.name, kind: json.kind });
    return { key, sentAt, alreadySent: false };
  };

  return {
    /**
     * Renders a customer notice in each recipient's language and timezone and sends it, at most
     * once per recipient (retries skip those already sent). Failures that may pass are retried
     * with backoff by the activity's retry policy; on the final attempt they are reported.
     */
    async sendNotices(input: SendNoticesInput): Promise<NoticesResult> {
      const failed: NoticesResult['failed'] = [];
      const unconfirmed: string[] = [];
      let delivered = 0;
      let retryable = false;
      for (const recipient of input.recipients) {
        const context: NoticeContext = { ...input.notice, language: recipient.language, timezone: recipient.timezone, recipientName: recipient.name };
        const channel = input.channels.find((c) => c.name === recipient.channel);
        try {
          if (!channel) throw ApplicationFailure.nonRetryable(`unknown channel ${recipient.channel}`, FAILURE.NoticeInvalid);
          const delivery = await deliver(`${input.keyPrefix}/${recipient.key}`, channel, recipient, renderNotice(context), {
            kind: input.notice.kind,
            window: input.window,
            title: input.notice.window.title[recipient.language],
            services: input.notice.window.services.map((s) => s[recipient.language]),
            start: input.notice.window.start,
            end: input.notice.window.end,
            language: recipient.language,
            timezone: recipient.timezone,
            ...(input.notice.reason !== undefined ? { reason: input.notice.reason } : {}),
            ...(input.notice.postponed !== undefined ? { postponed: input.notice.postponed } : {}),
          });
          delivered++;
          if (delivery.unconfirmed) unconfirmed.push(recipient.name);
        } catch (err) {
          const permanent = err instanceof ApplicationFailure && err.nonRetryable;
          retryable ||= !permanent;
          failed.push({ recipient: recipient.name, error: redact((err as Error).message).slice(0, 300) });
        }
      }
      if (retryable && currentAttempt() < input.finalAttempt) {
        throw new Error(`${failed.length} of ${input.recipients.length} notice(s) not delivered yet: ${failed.map((f) => `${f.recipient}: ${f.error}`).join('; ').slice(0, 500)}`);
      }
      return { delivered, failed, ...(unconfirmed.length > 0 ? { unconfirmed } : {}) };
    },

    /** An alert for operations (pre-flight problems, rollbacks): plain English, once per key. */
    async sendAlert(input: SendAlertInput): Promise<NoticeDelivery> {
      const html = `<pre>${input.text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</pre>`;
      return deliver(input.key, input.channel, input.recipient, { subject: input.subject, text: input.text, html }, { kind: 'alert' });
    },
  };
}
