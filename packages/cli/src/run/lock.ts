// The lock of a run folder: `recur train` holds <run>/train.lock while it trains, so a second
// train into the same folder is refused (ERR_CLI_RUN_LOCKED) instead of interleaving metrics
// and mixing checkpoints. The file holds JSON { pid, host, started }. A lock whose process is
// gone (same host, pid not alive) is stale: it is taken over, with a line saying so. So is one
// naming this very process (same host and pid): no live holder can have our pid, it is a former
// life of that pid, as when a restarted container runs `recur` as pid 1 again. A lock from
// another host cannot be checked from here and is never taken over: delete the file by hand
// once that run is gone. The lock is removed when the run ends, also on Ctrl-C and on exit.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliErrorCode, fail } from '../errors.js';
import { pathProblem } from './user-files.js';

export const LOCK_FILE = 'train.lock';

interface Holder {
  pid: number;
  host: string;
  started: string;
}

/** Takes the lock of `folder` (which exists) and returns its release; `write` tells of a takeover. */
export function lockRunFolder(folder: string, write: (line: string) => void): () => void {
  const path = join(folder, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  if (!tryCreate(path, me)) {
    const holder = readHolder(path);
    if (holder === null || holder.host !== me.host) refuse(folder, path, holder);
    if (holder.pid !== me.pid && isAlive(holder.pid)) refuse(folder, path, holder);
    write(`taking over the stale lock of process ${holder.pid} (no longer running): ${path}`);
    rmSync(path, { force: true });
    if (!tryCreate(path, me)) refuse(folder, path, readHolder(path));
  }
  const release = () => {
    process.removeListener('exit', release);
    if (readHolder(path)?.pid === me.pid) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return release;
}

/** Creates the lock file exclusively; false when it exists. */
function tryCreate(path: string, me: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    return pathProblem('--output', path, error);
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return Number.isSafeInteger(h.pid) && typeof h.host === 'string'
      ? { pid: h.pid as number, host: h.host, started: String(h.started) }
      : null;
  } catch {
    return null; // being written, or damaged: treated as held
  }
}

/** Whether process `pid` of this host runs (EPERM: it runs under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refuse(folder: string, path: string, holder: Holder | null): never {
  const who =
    holder === null
      ? `its lock ${path} is unreadable`
      : `process ${holder.pid} on ${holder.host} has trained into it since ${holder.started}`;
  return fail(CliErrorCode.RUN_LOCKED, `${folder} is in use by another recur train: ${who}`, {
    hint: `wait for that run or stop it, or give another --output; if it is gone (e.g. another host's), delete ${path}`,
  });
}
