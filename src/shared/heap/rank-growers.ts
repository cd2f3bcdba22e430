/**
 * Orders the classes of a heap diff so the likely culprit comes first (pure).
 *
 * Ranking by self-size growth alone puts the leaked payload first (strings, DOM nodes,
 * arrays, buffer bytes) rather than what holds it. A diff should name the holder first: among
 * the classes that gained instances, the one whose retained size grew the most, i.e. the
 * object the leaking code keeps adding (a record class, a Timeout, a listener closure, the
 * sliced string that pins a page, a Buffer, or plain arrays kept by the thousand). Pure
 * payload and the VM's own categories never qualify.
 */
import type { ClassDelta } from './diff-types.js';

/** Builtins and generic containers: they hold everything, so they never name a culprit by themselves. */
const BUILTINS = new Set([
  'Array', 'Object', 'String', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Function', 'Promise', 'Error', 'RegExp', 'Date',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
  'Symbol', 'BigInt', 'Number', 'Boolean', 'Arguments', 'Generator', 'AsyncGenerator', 'Iterator',
]);

/** Holders that are V8 categories rather than classes, but do hold a leak by themselves. */
const HOLDER_CATEGORIES = new Set(['(closure)', '(sliced string)', 'system / Context']);

export function isInternalClass(name: string): boolean {
  return name === '' || name.startsWith('(') || name.startsWith('system /') || BUILTINS.has(name);
}

/**
 * Generic containers, as holders: only when their new instances hold the growth (a leak of
 * plain arrays or objects, or of typed arrays and ArrayBuffers, which hold native bytes).
 */
const CONTAINERS = new Set([
  'Array', 'Object', 'Map', 'Set',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
]);

export function isHolderCandidate(name: string): boolean {
  return HOLDER_CATEGORIES.has(name) || CONTAINERS.has(name) || !isInternalClass(name);
}

/** How much a class's reach counts when choosing the culprit: a generic container's half (new-holders.ts). */
export function holderWeight(name: string): number {
  return CONTAINERS.has(name) ? 0.5 : 1;
}

/**
 * Holders that gained instances come first: by what their new instances hold when the diff
 * knows which instances are new (one process's snapshots, see new-holders.ts), otherwise
 * user-level classes by retained growth. Ties go to the class that gained more instances; the
 * rest keep the diff's order (self-size growth) after them. (A class's total retained growth
 * alone would rank `system / Context` first: one old module context retains the whole leak;
 * and summing each new instance's retained size would rank a DOM's Element first: nested
 * subtrees counted many times.)
 */
export function rankGrowers(classes: readonly ClassDelta[]): ClassDelta[] {
  const knowsNew = classes.some((c) => c.heldByNew !== null);
  const weight = (c: ClassDelta) => (knowsNew ? (c.heldByNew ?? 0) : c.retainedSizeDelta);
  const depth = (c: ClassDelta) => c.holderDepth ?? Number.POSITIVE_INFINITY;
  // Among equals, a named class (a record, a Timeout) names the culprit better than a generic container, and that better than a V8 category.
  const category = (c: ClassDelta) => (HOLDER_CATEGORIES.has(c.name) ? 2 : CONTAINERS.has(c.name) ? 1 : 0);
  const holders = classes
    .filter((c) => c.countDelta > 0 && weight(c) > 0 && (knowsNew ? isHolderCandidate(c.name) : !isInternalClass(c.name)))
    .sort((x, y) => depth(x) - depth(y) || category(x) - category(y) || weight(y) - weight(x) || y.countDelta - x.countDelta || x.name.localeCompare(y.name));
  const chosen = new Set(holders);
  return [...holders, ...classes.filter((c) => !chosen.has(c))];
}
