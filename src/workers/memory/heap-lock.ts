/**
 * One heap tool at a time per crawler process: a snapshot or profile asked for by hand
 * (control.ts) or a leak investigation. Two would fight over V8's heap profiler (an
 * investigation's allocation tracking must run undisturbed between its two snapshots).
 */
let holder: string | null = null;

/** Takes the lock for `what`; returns its release, or null when someone holds it. */
export function tryLockHeap(what: string): (() => void) | null {
  if (holder !== null) return null;
  holder = what;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holder = null;
  };
}

export function heapLockHolder(): string | null {
  return holder;
}
