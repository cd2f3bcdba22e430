/**
 * Whose code a stack frame is in, from its script name: the user's (extraction handlers and
 * anything else outside the others), spiderd's own compiled sources, a library under
 * node_modules, Node's internals, or native code (V8 builtins have no script). A leak report
 * names the user's frame when there is one.
 */
import { fileURLToPath } from 'node:url';

export type CodeOrigin = 'user' | 'spiderd' | 'library' | 'node' | 'native';

/** spiderd's compiled sources: dist/src/ (this file is dist/src/shared/heap/code-origin.js). Tests and examples are user code. */
const SPIDERD_SRC = fileURLToPath(new URL('../../', import.meta.url));

/** `own`: more scripts that count as spiderd's (the crawler process's entry, e.g. a test harness). */
export function codeOrigin(scriptName: string, own: readonly string[] = []): CodeOrigin {
  if (scriptName === '') return 'native';
  if (scriptName.startsWith('node:') || /^(internal|diagnostics_channel|events|buffer|timers)[/.]?/.test(scriptName)) return 'node';
  const file = toPath(scriptName);
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return 'library';
  if (file.startsWith(SPIDERD_SRC) || own.includes(file)) return 'spiderd';
  return 'user';
}

/** A file path for file: URLs, the name itself otherwise. */
export function toPath(scriptName: string): string {
  if (!scriptName.startsWith('file:')) return scriptName;
  try {
    return fileURLToPath(scriptName);
  } catch {
    return scriptName;
  }
}
