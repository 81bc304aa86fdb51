// How the garbage collector marks in a process that runs a coordinator or a node (issue 16: the
// exchange's cost). Every step a member's socket hands over its frames in fresh buffers: Node
// reads a socket 64 KiB at a time into new memory and `ws` joins a message's reads into one
// more buffer, about 2·4·P bytes per tensor frame received (0.65 MiB per step at P = 83,073),
// which no option of either changes. That memory outside the JavaScript heap makes V8 start
// incremental marking every few dozen steps, and its many small marking steps, spread over the
// exchange's turns of the event loop, cost more than marking the small heap of a member in one
// go: `scripts/bench-exchange.mjs` measured the coordinator's CPU per step falling from 3.1–3.4
// to 2.1–2.3 ms with two clients and a client's from 1.8–2.1 to 1.0–1.2 ms (the cluster README
// has the figures). So by default startCoordinator and runNode turn incremental marking off for
// their process, through V8's flag; `incrementalMarking: true` leaves V8's default alone (for a
// process that also serves other work, where long pauses matter more than CPU).
//
// Note [a scavenge a step]: those buffers die with their step, but nothing collects them until
// V8 next collects for its own reasons (JavaScript allocation, or tens of MiB of them), so the
// reads and joins of every step in between take memory the process has not touched yet. Where
// touching new memory is costly (a virtual machine whose balloon hands freed pages back to its
// host: 11 µs a page, 0.9 ms for a fresh 332 KB buffer against 0.004 ms for a reused one; the
// cluster README has the figures), that was most of a step's exchange: a node's start after the
// parameters were written fell from 3.3–4.3 to 1.1–1.5 ms on lstm-std, and from 12 to 5.7 ms on
// lstm-big, with a young-generation collection once a step. So by default a node collects its
// young generation after it has sent its gradient, and the coordinator after it has sent the
// parameters, each while it waits for the other: the step's buffers go back to malloc, which
// hands the same memory to the next step's reads. The collections cost time too (a median of
// 0.5–2.9 ms per process on lstm-std there, 2.3–7.8 ms on lstm-big), which the other side's
// work mostly hides; in alternated runs a step was still up to 2 ms (lstm-std) and 13–20 ms
// (lstm-big) shorter with them. `scavengeEachStep: false` leaves V8 alone.
// A collection frees only what is dead when it runs: until 2026-12-08 the coordinator still held
// the step's received gradient frames (views on ws's messages) through its collection, so they
// survived it and the next one, reached the old generation, and waited there for the full
// collection that external memory pressure brought every few dozen steps (10–21 ms each on
// lstm-std, while its ArrayBuffer memory climbed by two gradients a step). The loop now clears
// the round's gradients first (loop.ts); 2 nodes trained lstm-std 28–35% faster in two of three
// alternated pairs of runs (the third equal), the cluster README has the figures.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClusterErrorCode, fail } from './errors.js';

let atomic = false;

/** Turns V8's incremental marking off for this process (once; V8 reads the flag at each GC). */
export function useAtomicMarking(): void {
  if (atomic) return;
  setFlagsFromString('--no-incremental-marking');
  atomic = true;
}

/** Whether useAtomicMarking ran in this process (tests). */
export const atomicMarking = (): boolean => atomic;

/** Boolean option `name` of `who`: absent is `fallback`; anything but a boolean is refused. */
function booleanOption(who: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    fail(ClusterErrorCode.BAD_OPTION, `${who}: ${name} must be true or false, got ${String(value)}`);
  return value ?? fallback;
}

/** The `incrementalMarking` option of `who`: absent is false. */
export const incrementalMarkingOption = (who: string, value: unknown): boolean =>
  booleanOption(who, 'incrementalMarking', value, false);

type Collect = (options?: { type?: 'minor' | 'major' }) => void;

let collect: Collect | null = null;

/**
 * A collection of V8's young generation, now (Note [a scavenge a step]). The collector is V8's
 * own `gc`, exposed to a fresh context once per process when the process was not started with
 * --expose-gc.
 */
export function scavenge(): void {
  if (collect === null) {
    const exposed = (globalThis as { gc?: Collect }).gc;
    if (typeof exposed === 'function') collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    }
  }
  collect({ type: 'minor' });
}

/** The `scavengeEachStep` option of `who`: absent is true. */
export const scavengeOption = (who: string, value: unknown): boolean =>
  booleanOption(who, 'scavengeEachStep', value, true);
