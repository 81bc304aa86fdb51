// Paths a user names (--output, --token-file, --tls-cert, --tls-key, --ca): Node's own codes
// (ENOENT, EISDIR, ENOTDIR, EEXIST, ENAMETOOLONG, EACCES, ERR_FS_FILE_TOO_LARGE) become
// ERR_CLI_BAD_PATH (exit code 2) with a message naming the flag and the path. Small files are
// read only when they are regular files under USER_FILE_MAX_BYTES, so a device or a FIFO given
// by mistake ends at once.
import { mkdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { CliErrorCode, fail } from '../errors.js';

/** Limit: the largest token, certificate or key file read (1 MiB; PEM files are a few kB). */
export const USER_FILE_MAX_BYTES = 1024 * 1024;

const REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'has a file where a folder is expected on its way',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'is a file, not a folder',
  ENAMETOOLONG: 'is a name too long for the file system',
  EACCES: 'is not accessible (permission denied)',
  EPERM: 'is not accessible (operation not permitted)',
  ELOOP: 'is a loop of symbolic links',
  EROFS: 'is on a read-only file system',
};

/** Fails with ERR_CLI_BAD_PATH for a file-system error of `path` (named by `what`, e.g. '--output'); rethrows others. */
export function pathProblem(what: string, path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) throw error;
  return fail(CliErrorCode.BAD_PATH, `${what} ${shown(path)} ${reason} (${code})`, { cause: error });
}

/** A path in a message: a very long one is cut to its start and end. */
function shown(path: string): string {
  return path.length > 120 ? `${path.slice(0, 60)}…${path.slice(-40)} (${path.length} characters)` : path;
}

/** Creates the folder `path` (and its parents) for `what`; a file in the way is ERR_CLI_BAD_PATH. */
export function makeFolder(what: string, path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    pathProblem(what, path, error);
  }
}

/** The bytes of the small regular file `path` given as `what` (e.g. '--token-file'). */
export function readUserFile(what: string, path: string): Buffer {
  let info: Stats;
  try {
    info = statSync(path);
  } catch (error) {
    return pathProblem(what, path, error);
  }
  if (info.isDirectory()) fail(CliErrorCode.BAD_PATH, `${what} ${shown(path)} is a folder, not a file`);
  if (!info.isFile())
    fail(CliErrorCode.BAD_PATH, `${what} ${shown(path)} is not a regular file (a device, FIFO or socket)`);
  if (info.size > USER_FILE_MAX_BYTES) {
    fail(
      CliErrorCode.LIMIT_EXCEEDED,
      `${what} ${shown(path)} is ${info.size} bytes, over USER_FILE_MAX_BYTES (${USER_FILE_MAX_BYTES})`,
    );
  }
  try {
    return readFileSync(path);
  } catch (error) {
    return pathProblem(what, path, error);
  }
}
