import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel } from '../../policies/organisation';
import type { RenderedNotice } from '../../policies/notices/render';
import { readSecret } from './secrets';

type EmailChannel = Extract<Channel, { kind: 'email' }>;

/** Sends notices over SMTP with nodemailer; one pooled transport per channel. */
export class EmailSender {
  private readonly transports = new Map<string, Transporter>();

  private transport(channel: EmailChannel): Transporter {
    const key = JSON.stringify(channel);
    let transport = this.transports.get(key);
    if (!transport) {
      const pass = readSecret({ env: channel.smtp.passwordEnv, file: channel.smtp.passwordFile }, `channel ${channel.name}`);
      transport = nodemailer.createTransport({
        host: channel.smtp.host,
        port: channel.smtp.port,
        secure: channel.smtp.secure,
        ...(channel.smtp.user !== undefined ? { auth: { user: channel.smtp.user, pass: pass ?? '' } } : {}),
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      });
      this.transports.set(key, transport);
    }
    return transport;
  }

  async send(channel: EmailChannel, to: string, notice: RenderedNotice & { language: string }, messageId: string): Promise<string> {
    const info = await this.transport(channel).sendMail({
      from: channel.from,
      to,
      ...(channel.replyTo !== undefined ? { replyTo: channel.replyTo } : {}),
      subject: notice.subject,
      text: notice.text,
      html: notice.html,
      messageId: `<${messageId}@maint>`,
      headers: { 'Content-Language': notice.language },
    });
    return info.messageId;
  }

  close(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }
}
