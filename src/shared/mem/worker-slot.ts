/** Crawler slot ids are 'w1', 'w2', ...; leak_reports stores the slot number. */
export function workerSlot(workerId: string): number | null {
  const m = /^w(\d+)$/.exec(workerId);
  return m ? Number(m[1]) : null;
}
