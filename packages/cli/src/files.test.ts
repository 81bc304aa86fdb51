// Files that are not what a command expects (issue 16): devices, junk and huge files given as a
// checkpoint end at once with a code; paths and addresses that Node refuses come out as
// documented ERR_CLI_* codes with exit code 2 and a message naming the thing.
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { recur, tempFolder } from './testing/recur.js';

/** A refused command ends well within this; a load that reads the whole file does not. */
const AT_ONCE_MS = 20_000;

t.test(
  'recur summary /dev/zero ends at once with ERR_NN_NOT_A_FILE (defect 7)',
  { skip: process.platform === 'win32' },
  async (t) => {
    const ran = await recur(['summary', '/dev/zero'], undefined, { timeoutMs: AT_ONCE_MS });
    t.equal(ran.signal, null, 'it ended by itself');
    t.equal(ran.code, 1, ran.stderr);
    t.match(
      ran.stderr,
      /^recur: ERR_NN_NOT_A_FILE: checkpoint: \/dev\/zero is not a regular file \(a character device\)/,
    );
  },
);

t.test(
  'recur summary of a 3 GB junk file ends at once with ERR_NN_BAD_CHECKPOINT (defects 7, 24)',
  async (t) => {
    const junk = join(tempFolder('junk'), 'junk.ckpt');
    writeFileSync(junk, 'junk');
    truncateSync(junk, 3 * 1024 ** 3); // sparse; before the fix: ERR_FS_FILE_TOO_LARGE or a 3 GB read
    const ran = await recur(['summary', junk], undefined, { timeoutMs: AT_ONCE_MS });
    t.equal(ran.signal, null, 'it ended by itself');
    t.equal(ran.code, 1, ran.stderr);
    t.match(ran.stderr, /^recur: ERR_NN_BAD_CHECKPOINT: .*junk\.ckpt: not a recur checkpoint/);
  },
);
