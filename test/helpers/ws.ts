import WebSocket from 'ws';

export interface Upgrade {
  /** 101 when the socket opened, else the HTTP status of the refusal. */
  status: number;
  /** The refusal's `error.code`. */
  code?: string;
  /** The refusal's `WWW-Authenticate` header. */
  authenticate?: string;
  ws?: WebSocket;
}

/** Opens a WebSocket to `url`, or reads the refusal of its upgrade. */
export function upgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          code: (JSON.parse(body) as { error: { code: string } }).error.code,
          ...(res.headers['www-authenticate'] !== undefined && {
            authenticate: res.headers['www-authenticate'],
          }),
        });
      });
    });
    ws.once('error', reject);
  });
}

/** Subscribes to `channel` and waits for the answer (the channel works): the channels subscribed. */
export async function subscribed(ws: WebSocket, channel: string): Promise<string[]> {
  const reply = new Promise<{ type: string; channels?: string[] }>((resolve) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; channels?: string[] };
      if (m.type === 'subscribed') resolve(m);
    }),
  );
  ws.send(JSON.stringify({ op: 'subscribe', channels: [channel] }));
  return (await reply).channels ?? [];
}
