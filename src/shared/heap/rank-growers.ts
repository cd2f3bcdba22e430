/**
 * Orders the classes of a heap diff so the likely culprit comes first (pure).
 *
 * Ranking by self-size growth alone puts the leaked payload first (strings, DOM nodes,
 * arrays) rather than what holds it. A diff should name the holder first: among the
 * classes that gained instances, a user-level class (not a V8 internal or builtin) whose
 * instances retain the most memory, i.e. the object the leaking code keeps adding.
 */
import type { ClassDelta } from './diff-core.js';

/** V8 internals and builtins: they hold everything, so they never name a culprit by themselves. */
const BUILTINS = new Set([
  'Array', 'Object', 'String', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Function', 'Promise', 'Error', 'RegExp', 'Date',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Buffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
  'Symbol', 'BigInt', 'Number', 'Boolean', 'Arguments', 'Generator', 'AsyncGenerator', 'Iterator',
]);

export function isInternalClass(name: string): boolean {
  return name === '' || name.startsWith('(') || name.startsWith('system /') || BUILTINS.has(name);
}

/**
 * User-level classes that gained instances come first, by retained size in B (then by how
 * many instances they gained); the rest keep the diff's order after them.
 */
export function rankGrowers(classes: readonly ClassDelta[]): ClassDelta[] {
  const holders = classes
    .filter((c) => c.countDelta > 0 && !isInternalClass(c.name))
    .sort((x, y) => y.retainedSizeB - x.retainedSizeB || y.countDelta - x.countDelta || x.name.localeCompare(y.name));
  const chosen = new Set(holders);
  return [...holders, ...classes.filter((c) => !chosen.has(c))];
}
