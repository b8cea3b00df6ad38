import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Attached files, as received. */
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  language?: string;
  /** The client's port: which process sent it, while its connection is open (test/e2e/noticeCrash.test.ts). */
  clientPort: number;
  /** The user the client logged in as (servers started with `auth`). */
  user?: string;
}

export interface TestSmtpServerOptions {
  /** Require AUTH (PLAIN/LOGIN, allowed without TLS on loopback) with this user and password; others get 535. */
  auth?: { user: string; password: string };
}

/** A real SMTP server on loopback (smtp-server) that keeps every message it accepts, parsed. */
export interface TestSmtpServer {
  port: number;
  messages: ReceivedMail[];
  /** Resolves once `predicate` holds for the received messages (polling), or rejects after `timeoutMs`. */
  waitFor(predicate: (messages: ReceivedMail[]) => boolean, what: string, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Answer RCPT TO with a temporary failure (451) until set back to false. */
  refuse(on: boolean): void;
  /**
   * Runs `hook` after each message is stored and before the server answers it (250); the answer
   * waits for a returned promise. Lets a test act at the moment the server has committed a message
   * and the client does not know it yet.
   */
  beforeAnswer(hook: ((count: number) => void | Promise<void>) | undefined): void;
  close(): Promise<void>;
}

export async function startSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let refusing = false;
  let answerHook: ((count: number) => void | Promise<void>) | undefined;
  const { auth } = options;
  const server = new SMTPServer({
    authOptional: auth === undefined,
    disabledCommands: ['STARTTLS'],
    ...(auth !== undefined
      ? {
          allowInsecureAuth: true,
          authMethods: ['PLAIN', 'LOGIN'],
          onAuth(login, _session, callback) {
            if (login.username === auth.user && login.password === auth.password) callback(null, { user: auth.user });
            else callback(Object.assign(new Error('invalid username or password'), { responseCode: 535 }));
          },
        } satisfies SMTPServerOptions
      : {}),
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refusing) callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
      else callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail: ParsedMail) => {
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: typeof session.envelope.mailFrom === 'object' && session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            messageId: mail.messageId ?? '',
            attachments: mail.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, content: a.content })),
            clientPort: session.remotePort,
            ...(typeof session.user === 'string' ? { user: session.user } : {}),
            ...(typeof mail.headers.get('content-language') === 'string' ? { language: mail.headers.get('content-language') as string } : {}),
          });
          return answerHook?.(messages.length);
        })
        .then(() => callback())
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    messages,
    async waitFor(predicate, what, timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ') || 'nothing'}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      return messages;
    },
    refuse: (on) => void (refusing = on),
    beforeAnswer: (hook) => void (answerHook = hook),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
