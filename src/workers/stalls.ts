/**
 * BullMQ gives up a job whose lock lapsed more often than this (its process died or was
 * force-closed while on it). process-page.ts stores such a page as failed one delivery
 * earlier (at MAX_STALLED_COUNT stalls), so BullMQ's own give-up, which would leave the row
 * queued with no job, is never reached.
 */
export const MAX_STALLED_COUNT = 3;
