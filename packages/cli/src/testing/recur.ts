// Test helpers: run the built `recur` as a user does, in a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..', '..', '..');
export const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
export const config = (name: string) => join(root, 'configs', `${name}.json`);

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `recur args`; `onStdout` sees the output so far and may act on the child (send SIGINT);
 * `env` adds to (or overrides) this process's environment.
 * With `timeoutMs` the child is killed (SIGKILL) when it runs longer: the result then has that signal.
 */
export function recur(
  args: string[],
  onStdout?: (text: string, child: ChildProcess) => void,
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function tempFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `recur-${prefix}-`));
}
