/**
 * Values by (tenant id, space, value string) in nested maps: a lookup builds no key string, which
 * matters on the write path, where every event looks up about ten of them.
 */
export class KeyedMap<T> {
  private readonly tenants = new Map<number, Map<string, Map<string, T>>>();
  private count = 0;

  /** `max`: past this many entries the map starts again empty (for caches that can refill). */
  constructor(private readonly max = Infinity) {}

  get size(): number {
    return this.count;
  }

  get(tenantId: number, space: string, value: string): T | undefined {
    return this.tenants.get(tenantId)?.get(space)?.get(value);
  }

  set(tenantId: number, space: string, value: string, item: T): void {
    if (this.count >= this.max) this.clear();
    let spaces = this.tenants.get(tenantId);
    if (!spaces) this.tenants.set(tenantId, (spaces = new Map()));
    let values = spaces.get(space);
    if (!values) spaces.set(space, (values = new Map()));
    if (!values.has(value)) this.count++;
    values.set(value, item);
  }

  clear(): void {
    this.tenants.clear();
    this.count = 0;
  }
}
