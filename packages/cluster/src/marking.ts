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
import { setFlagsFromString } from 'node:v8';
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

/** The `incrementalMarking` option of `who`: absent is false; anything but a boolean is refused. */
export function incrementalMarkingOption(who: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    fail(
      ClusterErrorCode.BAD_OPTION,
      `${who}: incrementalMarking must be true or false, got ${String(value)}`,
    );
  return value === true;
}
