/**
 * How many JavaScript objects the heap holds, counted by V8 (Runtime.queryObjects on
 * Object.prototype, through an in-process inspector session). A heap snapshot costs native
 * memory in proportion to the objects and references it records, not to the heap's bytes: a
 * heap of kept HTML strings snapshots almost for free, a heap of kept DOM trees at 3-4x its
 * size. The count lets the investigation predict a snapshot's cost before it takes one
 * (evidence-plan.ts). V8 runs a full GC and walks the heap for it: about 1 s per 50 MB of heap
 * on a busy 2-core machine, with the event loop blocked.
 */
import { Session } from 'node:inspector/promises';

const GROUP = 'spiderd-census';

/** Objects whose prototype chain reaches Object.prototype, or null when the inspector refused. */
export async function countObjects(): Promise<number | null> {
  const session = new Session();
  session.connect();
  try {
    const proto = (await session.post('Runtime.evaluate', { expression: 'Object.prototype', objectGroup: GROUP })) as { result: { objectId?: string } };
    if (!proto.result.objectId) return null;
    const found = (await session.post('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId, objectGroup: GROUP })) as unknown as { objects: { objectId?: string } };
    if (!found.objects.objectId) return null;
    const length = (await session.post('Runtime.callFunctionOn', { functionDeclaration: 'function () { return this.length; }', objectId: found.objects.objectId, returnByValue: true })) as { result: { value?: unknown } };
    return typeof length.result.value === 'number' ? length.result.value : null;
  } catch {
    return null;
  } finally {
    await session.post('Runtime.releaseObjectGroup', { objectGroup: GROUP }).catch(() => undefined);
    session.disconnect();
  }
}
