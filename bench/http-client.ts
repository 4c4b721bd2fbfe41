/**
 * A minimal keep-alive HTTP client for the load generator (node:http): a fixed number of sockets,
 * bodies as bytes, answers read whole or counted as they stream.
 */
import http from 'node:http';

export interface Answer {
  status: number;
  body: Buffer;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly key: string,
    sockets: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  post(path: string, body: Buffer): Promise<Answer> {
    return this.request('POST', path, body, null);
  }

  get(path: string): Promise<Answer> {
    return this.request('GET', path, null, null);
  }

  /** GETs `path` and hands every chunk of the answer to `onData` instead of keeping it. */
  stream(path: string, onData: (chunk: Buffer) => void): Promise<Answer> {
    return this.request('GET', path, null, onData);
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body: Buffer | null, onData: ((chunk: Buffer) => void) | null): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.key}` };
      if (body) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = body.length;
      }
      const req = http.request(
        { agent: this.agent, host: this.url.hostname, port: this.url.port, method, path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          const ok = (res.statusCode ?? 0) < 300;
          res.on('data', (chunk: Buffer) => (onData && ok ? onData(chunk) : chunks.push(chunk)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }
}

/** Fails with the server's answer when it is not `expected`. */
export function expectStatus(answer: Answer, expected: number, what: string): void {
  if (answer.status !== expected) {
    throw new Error(`${what}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 500)}`);
  }
}
