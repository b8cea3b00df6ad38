import { createServer, type Server } from 'node:http';

/** One event as PagerDuty's Events API v2 received it. */
export interface ReceivedPage {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; component?: string; custom_details?: Record<string, unknown> };
}

/** A PagerDuty-shaped receiver on loopback: records every POST, answers 202 as PagerDuty does. */
export interface PagerDutyReceiver {
  /** `http://127.0.0.1:PORT/v2/enqueue`. */
  url: string;
  /** Every event accepted (202), in order. */
  events(): ReceivedPage[];
  /** The next `count` POSTs are answered with `status` (e.g. 503) and not recorded as accepted. */
  failNext(count: number, status?: number): void;
  /** POSTs answered so far, accepted or not. */
  requests(): number;
  close(): Promise<void>;
}

export async function startPagerDutyReceiver(): Promise<PagerDutyReceiver> {
  const events: ReceivedPage[] = [];
  let failing = 0;
  let failStatus = 503;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return answer(404, { status: 'invalid path' });
      if (failing > 0) {
        failing--;
        return answer(failStatus, { status: 'unavailable' });
      }
      let event: ReceivedPage;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedPage;
      } catch {
        return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['not JSON'] });
      }
      // What PagerDuty checks before it accepts an event.
      const errors: string[] = [];
      if (typeof event.routing_key !== 'string' || event.routing_key.length === 0) errors.push("'routing_key' is missing");
      if (!['trigger', 'acknowledge', 'resolve'].includes(event.event_action)) errors.push("'event_action' is invalid");
      if (event.event_action === 'trigger' && (!event.payload?.summary || !event.payload.source || !event.payload.severity)) errors.push("'payload' is missing summary, source or severity");
      if (event.event_action !== 'trigger' && !event.dedup_key) errors.push("'dedup_key' is required");
      if (errors.length > 0) return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors });
      events.push(event);
      answer(202, { status: 'success', message: 'Event processed', dedup_key: event.dedup_key });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events: () => [...events],
    failNext: (count, status = 503) => {
      failing = count;
      failStatus = status;
    },
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
