import { request } from 'node:http';

function get(port: number, key: string, path: string, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.on('data', onData);
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Streams GET `path` and, as soon as its first bytes arrive, asks for `other` on a connection of
 * its own: how many bytes of `path` had arrived when `other` was answered, and how many in all.
 */
export async function answeredWhileStreaming(port: number, key: string, path: string, other: string): Promise<{ before: number; total: number }> {
  let total = 0;
  let before = -1;
  let answered: Promise<void> | undefined;
  await get(port, key, path, (chunk) => {
    total += chunk.length;
    answered ??= get(port, key, other, () => undefined).then(() => void (before = total));
  });
  await answered;
  return { before, total };
}
