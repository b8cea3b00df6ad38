import { Transform, type Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import { smtpTlsMode, type Channel } from '../../policies/organisation/schema';
import type { RenderedNotice } from '../../policies/notices/render';
import { readSecret } from './secrets';

type EmailChannel = Extract<Channel, { kind: 'email' }>;

/** A file attached to an e-mail (the monthly report's PDF). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

/** Per message: called once the whole message is written; the final "." that commits it waits for it. */
interface CommitHook {
  maintBeforeCommit?: () => Promise<void>;
}

/**
 * The last stage of the message stream: its end waits for `beforeCommit`, and then makes nodemailer
 * write the SMTP end-of-data line (".") within the same turn of the event loop (process.nextTick
 * and promise callbacks only, no I/O), so whatever `beforeCommit` committed is in the store before
 * the server can have the whole message. If it rejects, the message stream fails, the "." is never
 * written, and the server discards the partial message (RFC 5321 §4.1.1.4).
 */
function gateEndOfData(beforeCommit: () => Promise<void>): (input: Readable) => Readable {
  return (input) => input.pipe(new Transform({
    transform: (chunk: Buffer, _encoding, done) => done(null, chunk),
    flush: (done) => {
      beforeCommit().then(() => done(), (err: unknown) => done(err as Error));
    },
  }));
}

/** Sends notices over SMTP with nodemailer; one pooled transport per channel. */
export class EmailSender {
  private readonly transports = new Map<string, Transporter>();

  private transport(channel: EmailChannel): Transporter {
    const key = JSON.stringify(channel);
    let transport = this.transports.get(key);
    if (!transport) {
      const tlsMode = smtpTlsMode(channel.smtp);
      const pass = readSecret({ env: channel.smtp.passwordEnv, file: channel.smtp.passwordFile, settings: { env: 'smtp.passwordEnv', file: 'smtp.passwordFile' } }, `channel ${channel.name}`);
      transport = nodemailer.createTransport({
        host: channel.smtp.host,
        port: channel.smtp.port,
        secure: channel.smtp.secure,
        // required: STARTTLS or no mail (nodemailer fails the send when the server offers none); none: plain text.
        ...(tlsMode === 'required' ? { requireTLS: true } : tlsMode === 'none' ? { ignoreTLS: true } : {}),
        ...(channel.smtp.user !== undefined ? { auth: { user: channel.smtp.user, pass: pass ?? '' } } : {}),
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      });
      transport.use('stream', (mail, done) => {
        const hook = (mail.data as CommitHook).maintBeforeCommit;
        if (hook) mail.message.processFunc(gateEndOfData(hook));
        done();
      });
      this.transports.set(key, transport);
    }
    return transport;
  }

  /**
   * Sends one message; resolves once the server accepted it (250). `beforeCommit` runs once the
   * message is written and the final "." waits for it: after it, the server may accept the message
   * even if this process dies before it hears the answer.
   */
  async send(channel: EmailChannel, to: string, notice: RenderedNotice & { language: string; attachments?: MailAttachment[] }, messageId: string, beforeCommit?: () => Promise<void>): Promise<string> {
    const hook: CommitHook = beforeCommit !== undefined ? { maintBeforeCommit: beforeCommit } : {};
    const info = await this.transport(channel).sendMail({
      ...hook,
      from: channel.from,
      to,
      ...(channel.replyTo !== undefined ? { replyTo: channel.replyTo } : {}),
      subject: notice.subject,
      text: notice.text,
      html: notice.html,
      ...(notice.attachments !== undefined ? { attachments: notice.attachments } : {}),
      messageId: `<${messageId}@maint>`,
      headers: { 'Content-Language': notice.language },
    }).catch((err: unknown) => {
      if ((err as { code?: unknown }).code !== 'ETLS' || channel.smtp.secure) throw err;
      const tls = channel.smtp.tls === undefined ? 'required (the default for a host that is not loopback)' : channel.smtp.tls;
      throw new Error(`channel ${channel.name}: ${channel.smtp.host}:${channel.smtp.port} offers no STARTTLS (or it failed) and smtp.tls is ${tls}: nothing was sent; ` +
        'use a server with TLS, secure: true for TLS from the first byte, or tls: starttls / none to send in plain text', { cause: err });
    });
    return info.messageId;
  }

  close(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }
}
