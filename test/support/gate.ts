/** A point the code under test stops at (the first time) until the test opens it. */
export function gate() {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrive = r));
  let passed = false;
  return {
    reached,
    open,
    /** Waits at the gate the first time; later calls pass. */
    async pass(): Promise<void> {
      if (passed) return;
      passed = true;
      arrive();
      await opened;
    },
  };
}
