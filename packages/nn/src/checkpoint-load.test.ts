// Loading a checkpoint reads its 24-byte preamble and its header first (issue 16, defect 7):
// a device, a FIFO or a folder is refused before anything is read; a junk file is refused by its
// magic, and a file longer than its header says by its size, without reading the rest — memory
// stays flat whatever the file's size.
import { execFileSync } from 'node:child_process';
import { appendFileSync, truncateSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadCheckpoint } from './checkpoint.js';
import { dense, loadModel, sequential } from './index.js';

const MB = 1024 * 1024;
/** Memory a refused load may add: far below the files' sizes (256 MB and more). */
const FLAT = 48 * MB;

async function folder(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recur-load-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The RSS growth while `load` fails, and its error. */
async function refused(
  load: () => Promise<unknown>,
): Promise<{ grew: number; error: { code?: string; message?: string } }> {
  const before = process.memoryUsage.rss();
  try {
    await load();
  } catch (error) {
    return { grew: process.memoryUsage.rss() - before, error: error as { code?: string; message?: string } };
  }
  throw new Error('the load succeeded');
}

async function savedModel(dir: string): Promise<string> {
  const model = sequential([dense({ units: 2 })], { inputShape: [3], seed: 1 });
  const path = join(dir, 'model.ckpt');
  await model.save(path);
  return path;
}

t.test(
  '/dev/zero is refused at once as not a regular file',
  { skip: process.platform === 'win32' },
  async (t) => {
    const { grew, error } = await refused(() => loadModel('/dev/zero'));
    t.equal(error.code, 'ERR_NN_NOT_A_FILE');
    t.match(error.message, /^checkpoint: \/dev\/zero is not a regular file \(a character device\)/);
    t.ok(grew < FLAT, `memory grew by ${(grew / MB).toFixed(1)} MB`);
  },
);

t.test(
  'a FIFO is refused without waiting for a writer, a folder names itself',
  { skip: process.platform === 'win32' },
  async (t) => {
    const dir = await folder(t);
    const fifo = join(dir, 'pipe.ckpt');
    execFileSync('mkfifo', [fifo]);
    await t.rejects(loadCheckpoint(fifo), {
      code: 'ERR_NN_NOT_A_FILE',
      message: /pipe\.ckpt is not a regular file \(a FIFO\)/,
    });
    await t.rejects(loadCheckpoint(dir), { code: 'ERR_NN_NOT_FOUND', message: /is a folder, not a file/ });
  },
);

t.test('a 512 MB junk file is refused by its magic without being read', async (t) => {
  const dir = await folder(t);
  const junk = join(dir, 'junk.ckpt');
  await writeFile(junk, 'this is not a checkpoint at all');
  truncateSync(junk, 512 * MB); // sparse: costs no disk
  const { grew, error } = await refused(() => loadModel(junk));
  t.equal(error.code, 'ERR_NN_BAD_CHECKPOINT');
  t.match(error.message, /not a recur checkpoint \(it starts with \[74 68 69 73/);
  t.ok(grew < FLAT, `memory grew by ${(grew / MB).toFixed(1)} MB`);
});

t.test('a checkpoint with 256 MB appended is refused by the size its header declares, unread', async (t) => {
  const dir = await folder(t);
  const path = await savedModel(dir);
  const { model } = await loadModel(path);
  t.equal(model.layout.size, 8, 'the intact file loads');
  appendFileSync(path, 'x');
  truncateSync(path, 256 * MB);
  const { grew, error } = await refused(() => loadModel(path));
  t.equal(error.code, 'ERR_NN_BAD_CHECKPOINT');
  t.match(error.message, /268435456 bytes, but its header says \d+ .*something was appended to it/);
  t.ok(grew < FLAT, `memory grew by ${(grew / MB).toFixed(1)} MB`);
});

t.test('a truncated checkpoint is refused by its header too', async (t) => {
  const dir = await folder(t);
  const path = await savedModel(dir);
  truncateSync(path, 100);
  await t.rejects(loadCheckpoint(path), { code: 'ERR_NN_BAD_CHECKPOINT', message: /truncated: 100 bytes/ });
});
