/**
 * Encodes one large piece on an export thread with nothing else keeping the process alive, prints
 * the bytes' length and returns. The process must wait for the piece (its thread is unreferenced),
 * then end at once: the thread, idle for ten minutes before it stops, must not hold it.
 */
import { EncoderPool } from '../../src/export/encoder-pool.js';

const pool = new EncoderPool(1, 600_000);
const bodies = Array.from({ length: 50_000 }, (_, n) => JSON.stringify({ n }));
const parts = await pool.encode('jsonl', bodies);
process.stdout.write(`${Buffer.concat(parts).length}\n`);
