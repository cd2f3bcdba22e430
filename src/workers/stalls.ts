/**
 * Pages on which crawler processes die. When a process dies (a crash, an out-of-memory kill, the
 * watchdog), BullMQ redelivers every job it held once the job's lock lapses, counting a stall on
 * each, even on the pages that were only waiting there. So a stalled page is retried ALONE (no
 * other page fetched beside it in its process) and each such try is recorded in the job
 * (`aloneRuns`) before it starts: a page whose alone tries died POISON_ALONE_RUNS times is the
 * culprit, and is stored failed (SPIDERD_PAGE_KILLED_WORKER); the pages that were merely beside it
 * are fetched normally. BullMQ's own give-up (MAX_STALLED_COUNT), which would leave the row queued
 * with no job, is only a safety net far above that.
 */
export const POISON_ALONE_RUNS = 2;
export const MAX_STALLED_COUNT = 20;
