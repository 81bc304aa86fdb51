// One measurement = one child process (so peak RSS is per process): spawn, wait with a timeout,
// and read the line `RECUR_BENCH_RESULT {json}` that the child prints last.

import { spawn } from 'node:child_process';
import { BenchError, BenchErrorCode } from './errors.js';
import type { ChildResult } from './types.js';

export const RESULT_MARKER = 'RECUR_BENCH_RESULT ';

export interface ChildCommand {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** names the measurement in errors: "lstm-std recur threads(2)" */
  what: string;
}

const tail = (text: string, n = 1200) => (text.length > n ? `…${text.slice(-n)}` : text).trim();

/** Finds and checks the result line in a child's stdout; throws ERR_BENCH_CHILD_FAILED. */
export function parseChildOutput(stdout: string, what: string): ChildResult {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_MARKER));
  if (line === undefined) {
    throw new BenchError(
      BenchErrorCode.CHILD_FAILED,
      `${what}: the child printed no ${RESULT_MARKER.trim()} line`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(RESULT_MARKER.length));
  } catch (cause) {
    throw new BenchError(BenchErrorCode.CHILD_FAILED, `${what}: the result line is not JSON`, { cause });
  }
  const r = parsed as Partial<ChildResult>;
  const numbers = (xs: unknown) =>
    Array.isArray(xs) && xs.length > 0 && xs.every((v) => typeof v === 'number' && v > 0);
  // a scaling child (spec.alternate) reports rounds of median steps instead of steps
  const steps =
    r?.rounds === undefined
      ? numbers(r?.stepMs)
      : Array.isArray(r.rounds) && r.rounds.length > 0 && r.rounds.every(numbers);
  if (
    typeof r !== 'object' ||
    r === null ||
    !steps ||
    !Array.isArray(r.warmupMs) ||
    typeof r.maxRssKb !== 'number'
  ) {
    throw new BenchError(
      BenchErrorCode.CHILD_FAILED,
      `${what}: the result line lacks positive stepMs (or rounds), warmupMs or maxRssKb: ${tail(line, 300)}`,
    );
  }
  return r as ChildResult;
}

/** Runs one child to its end; resolves with its result and wall time, rejects with a BenchError. */
export function runChild(c: ChildCommand): Promise<{ result: ChildResult; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(c.command, c.args, {
      cwd: c.cwd,
      env: c.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, c.timeoutMs);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(
        new BenchError(
          BenchErrorCode.CHILD_FAILED,
          `${c.what}: cannot start ${c.command}: ${cause.message}`,
          { cause },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      if (timedOut) {
        reject(
          new BenchError(
            BenchErrorCode.CHILD_FAILED,
            `${c.what}: killed after childTimeoutMs = ${c.timeoutMs} ms; raise it or lower steps`,
          ),
        );
        return;
      }
      if (code !== 0) {
        const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
        reject(
          new BenchError(BenchErrorCode.CHILD_FAILED, `${c.what}: child ended with ${how}: ${tail(stderr)}`),
        );
        return;
      }
      try {
        resolve({ result: parseChildOutput(stdout, c.what), wallMs });
      } catch (error) {
        reject(error);
      }
    });
  });
}
