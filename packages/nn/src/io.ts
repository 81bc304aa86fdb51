// Byte-level helpers shared by the file formats (checkpoint.ts, interop/safetensors.ts): an atomic
// file write and little-endian copies of typed arrays. Not a format of its own, and no validation:
// the callers check what they read.
//
// Note [atomic write]: the bytes go to `<path>.tmp-<pid>-<random>` in the target's folder (so the
// rename stays on one file system), are fsynced, then renamed over the target, and the folder is
// fsynced so the rename itself survives a crash. A reader sees the old file or the new one, never
// a half-written one; on any failure the temporary file is removed and the error passed on.
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fail, NnErrorCode } from './errors.js';
import { describe } from './validate.js';

/** True when the machine stores numbers little-endian (the byte order of both file formats). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The temporary name a write to `path` goes through (Note [atomic write]). */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Checks that `path` is a non-empty string; `where` names the API, e.g. 'save'. */
export function checkPath(where: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: path must be a non-empty string (a file path), got ${describe(path)}`,
    );
  }
  return path;
}

/**
 * The bytes of the file at `path`; a missing file (or a folder) is ERR_NN_NOT_FOUND. `what`
 * names the kind of file in errors ('checkpoint', 'safetensors file').
 */
export async function readFileChecked(what: string, path: string): Promise<Buffer> {
  checkPath(what, path);
  try {
    return await readFile(path);
  } catch (error) {
    return missing(what, path, error);
  }
}

/** A regular file opened for reading: its size when opened, and reads of byte ranges. */
export interface OpenedFile {
  size: number;
  /** `length` bytes from `position` (fewer only if the file shrank since it was opened) */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens the regular file at `path` for reading in parts, so that a format reads its header before
 * it believes a length. Missing files and folders are ERR_NN_NOT_FOUND; anything else that is not
 * a regular file (/dev/zero, a FIFO, a socket) is ERR_NN_NOT_A_FILE, refused before it is opened
 * (opening a FIFO would wait for a writer) and checked again on the open handle.
 */
export async function openRegularFile(what: string, path: string): Promise<OpenedFile> {
  checkPath(what, path);
  let handle: FileHandle;
  try {
    refuseIrregular(what, path, await stat(path));
    handle = await open(path, 'r');
  } catch (error) {
    return missing(what, path, error);
  }
  try {
    const info = await handle.stat();
    refuseIrregular(what, path, info);
    return openedFile(handle, info.size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function openedFile(handle: FileHandle, size: number): OpenedFile {
  return {
    size,
    async read(position, length) {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
        if (bytesRead === 0) break; // the file shrank while it was read: the caller's checks see it short
        done += bytesRead;
      }
      return bytes.subarray(0, done);
    },
    close: () => handle.close(),
  };
}

function refuseIrregular(what: string, path: string, info: Stats): void {
  if (info.isFile()) return;
  if (info.isDirectory()) {
    fail(NnErrorCode.NOT_FOUND, `${what}: ${path} is a folder, not a file; give the file's path`);
  }
  const kind = info.isCharacterDevice()
    ? 'a character device'
    : info.isBlockDevice()
      ? 'a block device'
      : info.isFIFO()
        ? 'a FIFO'
        : info.isSocket()
          ? 'a socket'
          : 'not a file';
  fail(NnErrorCode.NOT_A_FILE, `${what}: ${path} is not a regular file (${kind}); give a file's path`);
}

/** ENOENT, ENOTDIR and EISDIR as ERR_NN_NOT_FOUND; a coded error passes on as it is. */
function missing(what: string, path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    fail(NnErrorCode.NOT_FOUND, `${what}: no file at ${path}; check the path`, error);
  }
  if (code === 'EISDIR') {
    fail(NnErrorCode.NOT_FOUND, `${what}: ${path} is a folder, not a file; give the file's path`, error);
  }
  throw error;
}

/** Writes `bytes` to `path` atomically (Note [atomic write]); a missing folder is ERR_NN_NOT_FOUND. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = temporaryPath(path);
  try {
    await writeAndSync(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      fail(
        NnErrorCode.NOT_FOUND,
        `cannot write ${path}: its folder ${dirname(path)} does not exist; create it first`,
        error,
      );
    }
    throw error;
  }
  await syncFolder(dirname(path));
}

async function writeAndSync(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename in `folder` durable. Windows cannot open a folder for syncing; it is skipped. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reverses the byte order of each `itemBytes`-wide item of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, itemBytes: number): void {
  for (let start = 0; start < bytes.length; start += itemBytes) {
    bytes.subarray(start, start + itemBytes).reverse();
  }
}

/** A fresh, aligned copy of `bytes` (little-endian items of `itemBytes`) in machine byte order. */
export function alignedCopy(bytes: Uint8Array, itemBytes: number): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!LITTLE_ENDIAN) swapBytes(copy, itemBytes);
  return copy.buffer;
}

/** Copies the items of `view` into `target` at `offset`, little-endian. */
export function putLittleEndian(target: Uint8Array, offset: number, view: ArrayBufferView): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  target.set(bytes, offset);
  if (!LITTLE_ENDIAN) {
    const itemBytes = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    swapBytes(target.subarray(offset, offset + bytes.length), itemBytes);
  }
}

/** `value` as UTF-8 JSON, padded with spaces to a multiple of 8 bytes, so that data following
 * a preamble of a multiple of 8 bytes starts 8-byte aligned. */
export function paddedJson(value: unknown): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(value));
  const padded = new Uint8Array(text.length + ((8 - (text.length % 8)) % 8)).fill(0x20);
  padded.set(text);
  return padded;
}

/** `options.maxHeaderBytes`, or `fallback` (the format's limit) when it is not given. */
export function maxHeaderBytes(options: { maxHeaderBytes?: number }, fallback: number): number {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(NnErrorCode.BAD_OPTION, `options must be an object { maxHeaderBytes? }, got ${describe(options)}`);
  }
  const max = options.maxHeaderBytes ?? fallback;
  if (!Number.isSafeInteger(max) || max <= 0) {
    fail(NnErrorCode.BAD_OPTION, `options.maxHeaderBytes must be a positive integer, got ${describe(max)}`);
  }
  return max;
}
