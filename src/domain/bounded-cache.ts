/**
 * A Map that forgets everything when it reaches `max` entries: a cheap bound for memos of pure
 * functions over values that repeat a lot (user agents, names, paths), where an LRU's bookkeeping
 * would cost more than the occasional recomputation after a reset.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
