import type { Channel } from '../../../policies/organisation/schema';
import type { RenderedNotice } from '../../../policies/notices/render';
import type { NoticeRecipient } from '../../../policies/windows/types';
import type { EmailSender, MailAttachment } from '../email';

/** One notice to one recipient, ready to go out. */
export interface NoticeMessage {
  recipient: NoticeRecipient;
  /** Attachments are sent by e-mail channels only. */
  message: RenderedNotice & { attachments?: MailAttachment[] };
  /** The notice as data (kind, window, times, …), for channels that post JSON. */
  json: Record<string, unknown>;
  /** Stable per notice: e-mail Message-ID and webhook X-Maint-Delivery, so receivers can de-duplicate. */
  deliveryId: string;
  /** "notice to <recipient> via <channel>", for errors and logs. */
  what: string;
}

export interface ChannelContext {
  email: EmailSender;
  /**
   * Records, committed before the message's end (the SMTP final "."), that the whole message is with
   * the receiver and only its commit is still to come (ledger state `handed-over`): from then on a
   * retry must not send it again.
   */
  recordHandedOver(): Promise<void>;
  /** The receiver refused the message after {@link recordHandedOver}: a retry must send it. */
  forgetHandedOver(): Promise<void>;
  warn(message: string): void;
}

/**
 * What a channel reports once it is done: `sent` when the receiver confirmed it (SMTP 250, HTTP
 * 2xx) — only then is the notice recorded as sent —, `handed-over` when it was handed over after
 * {@link ChannelContext.recordHandedOver} but no confirmation came (not sent again, reported as
 * unconfirmed). A failure to deliver throws.
 */
export interface ChannelDelivery {
  state: 'sent' | 'handed-over';
}

/** One kind of notice channel (email, webhook, slack, …): one file each, registered in index.ts. */
export type NoticeChannel<C extends Channel = Channel> = (channel: C, notice: NoticeMessage, ctx: ChannelContext) => Promise<ChannelDelivery>;
