// Test helpers for fixture processes (fixtures/*.mjs): spawn one, read its JSON lines as they
// come, and wait for the line that matters. A deadline kills a process that hangs, so a hang
// fails its test instead of stalling the suite. `prefix` runs it through another command (as
// `ip netns exec <namespace>` for a host in a network namespace).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

export interface Child {
  process: ChildProcess;
  lines: AsyncIterableIterator<string>;
  /** every line so far */
  all: string[];
  /** resolves with the last JSON line when the process exits */
  ended: Promise<Record<string, unknown>>;
}

export interface ChildOptions {
  token: string;
  /** killed after this long; default 60 000 ms */
  deadlineMs?: number;
  /** a command (and its arguments) to run node through */
  prefix?: string[];
}

export function child(script: string, spec: object, options: ChildOptions): Child {
  const prefix = options.prefix ?? [];
  const argv = [...prefix, process.execPath, fixture(script), JSON.stringify(spec)];
  const proc = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, RECUR_TOKEN: options.token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), options.deadlineMs ?? 60_000);
  const all: string[] = [];
  const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  rl.on('line', (line) => {
    all.push(line);
    queue.push(line);
    wake?.();
  });
  const ended = new Promise<Record<string, unknown>>((resolve) => {
    proc.on('exit', () => {
      clearTimeout(killer);
      closed = true;
      wake?.();
      const last = all.at(-1);
      resolve(last === undefined ? {} : (JSON.parse(last) as Record<string, unknown>));
    });
  });
  async function* lines() {
    for (;;) {
      if (queue.length > 0) yield queue.shift() as string;
      else if (closed) return;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  return { process: proc, lines: lines(), all, ended };
}

/** Waits for the next JSON line of `c` that satisfies `test` (the iterator stays open). */
export async function lineWhere(
  c: Child,
  test: (j: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (;;) {
    const next = await c.lines.next();
    if (next.done) throw new Error('the process ended first');
    const json = JSON.parse(next.value) as Record<string, unknown>;
    if (test(json)) return json;
  }
}
