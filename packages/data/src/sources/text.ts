// Plain-text files and folders of them, read whole as UTF-8 strings (a leading byte-order mark
// dropped; invalid bytes become U+FFFD). A folder's files come back sorted by their path relative
// to the folder, in code-unit order, so every machine sees the same order. Not a tokenizer and not
// streamed: a file is checked against TEXT_MAX_FILE_BYTES before a byte of it is read.

import { createReadStream, type Dirent, promises as fs } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { checkPathArgument, DataErrorCode, describeGot, fail, optionsOf } from '../errors.js';

/** Limit: bytes in one text file; a bigger one is ERR_DATA_LIMIT_EXCEEDED (and is not read). */
export const TEXT_MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface TextFileOptions {
  maxBytes?: number; // default TEXT_MAX_FILE_BYTES
}

export interface TextFolderOptions extends TextFileOptions {
  /** Only files whose names end with one of these (with or without the dot, case-sensitive). */
  extensions?: string[];
  /** Also read the folders inside, at any depth (default false). */
  recursive?: boolean;
}

/** One file of a folder: its path relative to the folder (with `/`), and its text. */
export interface TextFile {
  file: string;
  text: string;
}

/** The text of the file at `path`. */
export async function readTextFile(path: string, options: TextFileOptions = {}): Promise<string> {
  return decode(
    await readFileBounded(path, maxBytesOf(optionsOf(options, 'readTextFile')), 'TEXT_MAX_FILE_BYTES'),
  );
}

/**
 * The bytes of the file at `path`, refused (ERR_DATA_LIMIT_EXCEEDED, naming `limitName`) before
 * reading when it holds more than `maxBytes`; a missing or unreadable file is ERR_DATA_NOT_FOUND.
 */
export async function readFileBounded(path: string, maxBytes: number, limitName: string): Promise<Buffer> {
  checkPathArgument(path, 'read');
  const info = await statOrFail(path);
  if (!info.isFile()) fail(DataErrorCode.NOT_FOUND, `${path}: not a file`);
  checkSize(path, info.size, maxBytes, limitName);
  const bytes = await readOrFail(path);
  checkSize(path, bytes.length, maxBytes, limitName); // it may have grown since stat
  return bytes;
}

/** Every file of the folder at `path` (filtered by extension), sorted by relative path. */
export async function readTextFolder(path: string, options: TextFolderOptions = {}): Promise<TextFile[]> {
  checkPathArgument(path, 'readTextFolder');
  optionsOf(options, 'readTextFolder');
  const info = await statOrFail(path);
  if (!info.isDirectory()) fail(DataErrorCode.NOT_FOUND, `${path}: not a folder`);
  const suffixes = extensionsOf(options.extensions);
  const files = await listFiles(path, options.recursive === true);
  const chosen = files.filter((f) => suffixes === null || suffixes.some((s) => f.endsWith(s)));
  const named = chosen.map((f) => ({ path: f, file: relative(path, f).split(sep).join('/') }));
  named.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const out: TextFile[] = [];
  for (const { path: p, file } of named) out.push({ file, text: await readTextFile(p, options) });
  return out;
}

function maxBytesOf(options: TextFileOptions): number {
  const max = options.maxBytes ?? TEXT_MAX_FILE_BYTES;
  if (!Number.isInteger(max) || max <= 0)
    fail(DataErrorCode.BAD_OPTION, 'options.maxBytes must be a positive integer');
  return max;
}

function extensionsOf(extensions: string[] | undefined): string[] | null {
  if (extensions === undefined) return null;
  if (!Array.isArray(extensions) || extensions.some((e) => typeof e !== 'string' || e.length === 0)) {
    fail(
      DataErrorCode.BAD_OPTION,
      'options.extensions must be an array of non-empty strings such as [".txt"]',
    );
  }
  return extensions.map((e) => (e.startsWith('.') ? e : `.${e}`));
}

function checkSize(path: string, size: number, maxBytes: number, limitName: string): void {
  if (size > maxBytes) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `${path}: ${size} bytes, more than ${maxBytes} (${limitName}; options.maxBytes raises it)`,
    );
  }
}

/**
 * The bytes of a path or a Readable, chunk by chunk (strings from a Readable are encoded as
 * UTF-8); a path that cannot be read is ERR_DATA_NOT_FOUND. The streaming sources read with it.
 */
export async function* byteChunks(source: string | Readable, file: string): AsyncGenerator<Buffer> {
  if (typeof source === 'string') checkPathArgument(source, 'read');
  else if (
    typeof (source as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] !== 'function'
  ) {
    fail(
      DataErrorCode.BAD_OPTION,
      `the source must be a file path or a readable stream, got ${describeGot(source)}`,
    );
  }
  const stream = typeof source === 'string' ? createReadStream(source) : source;
  try {
    for await (const chunk of stream) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else if (Buffer.isBuffer(chunk)) yield chunk;
      else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (typeof source === 'string' && ['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR'].includes(code)) {
      fail(DataErrorCode.NOT_FOUND, `${file}: cannot read (${code})`, err);
    }
    throw err;
  }
}

/** UTF-8 text without a leading byte-order mark. */
export function decode(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Regular files under `folder`; symbolic links to files count, links to folders are not followed. */
async function listFiles(folder: string, recursive: boolean): Promise<string[]> {
  const entries = await readdirOrFail(folder);
  const out: string[] = [];
  for (const entry of entries) {
    const full = join(folder, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && (await isFileLink(full)))) out.push(full);
    else if (entry.isDirectory() && recursive) out.push(...(await listFiles(full, true)));
  }
  return out;
}

async function isFileLink(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isFile();
  } catch {
    return false; // a dangling link is not a file
  }
}

async function statOrFail(path: string) {
  try {
    return await fs.stat(path);
  } catch (err) {
    return notFound(path, err);
  }
}

async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    return notFound(path, err);
  }
}

async function readdirOrFail(path: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(path, { withFileTypes: true });
  } catch (err) {
    return notFound(path, err);
  }
}

function notFound(path: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  fail(DataErrorCode.NOT_FOUND, `${path}: cannot read (${code})`, err);
}
