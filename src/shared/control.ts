/**
 * Control requests that travel over Redis (CLI -> daemon, channel keys.control(daemonId)) and
 * their replies (daemon -> CLI, list keys.reply(requestId)). One schema each, validated on
 * receipt by both sides. The daemon then forwards the action to a crawler process over IPC
 * (ParentMessage 'control', see ipc.ts). A request never names a directory or a file: the
 * daemon chooses both (config.snapshotDir + snapshotStem).
 */
import { z } from 'zod';
import type { ControlAction } from './ipc.js';

export const CONTROL_VERSION = 1;

/** Profiles run at most this long; a snapshot needs no duration. */
export const MAX_PROFILE_SECONDS = 600;

const seconds = z.number().int().min(1).max(MAX_PROFILE_SECONDS);

export const controlActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('heap-snapshot') }),
  z.object({ kind: z.literal('heap-profile'), seconds }),
  z.object({ kind: z.literal('cpu-profile'), seconds }),
]);

export const controlTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('worker'), workerId: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/) }),
  z.object({ kind: z.literal('pid'), pid: z.number().int().positive() }),
  z.object({ kind: z.literal('supervisor') }),
  z.object({ kind: z.literal('all') }),
]);

export const controlRequestSchema = z.object({
  v: z.literal(CONTROL_VERSION),
  requestId: z.uuid(),
  target: controlTargetSchema,
  action: controlActionSchema,
  /** Free text; it only ever becomes a sanitized part of a file name (snapshotStem). */
  label: z.string().max(200).optional(),
});

const controlFileSchema = z.object({ path: z.string(), bytes: z.number().int().nonnegative() });

export const controlResultSchema = z.union([
  z.object({ workerId: z.string(), pid: z.number().int(), ok: z.literal(true), files: z.array(controlFileSchema) }),
  z.object({ workerId: z.string().optional(), pid: z.number().int().optional(), ok: z.literal(false), code: z.string(), message: z.string() }),
]);

export const controlReplySchema = z.object({
  requestId: z.string(),
  daemonId: z.string().optional(),
  results: z.array(controlResultSchema),
});

export type ControlTarget = z.infer<typeof controlTargetSchema>;
export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlResult = z.infer<typeof controlResultSchema>;
export type ControlReply = z.infer<typeof controlReplySchema>;

/** The schema and ipc.ts describe the same actions; this fails to compile if they drift. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const actionsAgree: Same<z.infer<typeof controlActionSchema>, ControlAction> = true;
void actionsAgree;

/** Replies are kept this long for a requester that comes late. */
export const REPLY_TTL_SECONDS = 300;

/** Reads a requestId out of something that failed validation, so the requester still gets an answer. */
export function salvageRequestId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { requestId?: unknown }).requestId;
  return typeof id === 'string' && z.uuid().safeParse(id).success ? id : null;
}
