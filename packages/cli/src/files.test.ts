// Files that are not what a command expects (issue 16): devices, junk and huge files given as a
// checkpoint end at once with a code; paths and addresses that Node refuses come out as
// documented ERR_CLI_* codes with exit code 2 and a message naming the thing.
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

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
    t.teardown(() => rmSync(junk, { force: true }));
    const ran = await recur(['summary', junk], undefined, { timeoutMs: AT_ONCE_MS });
    t.equal(ran.signal, null, 'it ended by itself');
    t.equal(ran.code, 1, ran.stderr);
    t.match(ran.stderr, /^recur: ERR_NN_BAD_CHECKPOINT: .*junk\.ckpt: not a recur checkpoint/);
  },
);

const folder = tempFolder('paths');
const token = join(folder, 'token');
writeFileSync(token, 'a-token-of-some-length\n');
const cluster = config('seattle-temperature-cluster');

/** Runs recur and expects exit code 2 with one line `recur: <code>: <message>`. */
async function usage(t: Test, args: string[], code: string, message: RegExp) {
  const ran = await recur(args, undefined, { timeoutMs: 120_000 });
  t.equal(ran.code, 2, `${args.slice(0, 2).join(' ')}: exit 2 ${ran.stderr}`);
  t.match(ran.stderr, new RegExp(`^recur: ${code}: ${message.source}`));
  t.notMatch(ran.stderr, /ERR_CLI_INTERNAL|\n\s+at /, 'no internal error, no stack');
}

t.test('--output paths that cannot be run folders are ERR_CLI_BAD_PATH, exit 2 (defect 24)', async (t) => {
  const file = join(folder, 'a-file');
  writeFileSync(file, 'x');
  const train = (output: string) => ['train', config('seattle-temperature'), '--smoke', '--output', output];
  await usage(
    t,
    train(join(folder, 'n'.repeat(300))),
    'ERR_CLI_BAD_PATH',
    /--output .*…n+ \(\d+ characters\) is a name too long for the file system \(ENAMETOOLONG\)/,
  );
  await usage(t, train(file), 'ERR_CLI_BAD_PATH', /--output .*a-file is a file, not a folder \(EEXIST\)/);
  await usage(
    t,
    train(join(file, 'run')),
    'ERR_CLI_BAD_PATH',
    /--output .*a-file\/run has a file where a folder is expected on its way \(ENOTDIR\)/,
  );
});

t.test(
  '--token-file, --listen, --connect and TLS files are checked with coded errors, exit 2 (defect 24)',
  async (t) => {
    const worker = (...more: string[]) => ['worker', cluster, '--connect', 'ws://127.0.0.1:9', ...more];
    await usage(
      t,
      worker('--token-file', join(folder, 'missing')),
      'ERR_CLI_BAD_PATH',
      /--token-file .*missing does not exist \(ENOENT\)/,
    );
    await usage(
      t,
      worker('--token-file', folder),
      'ERR_CLI_BAD_PATH',
      /--token-file .* is a folder, not a file/,
    );
    await usage(
      t,
      ['worker', cluster, '--connect', 'not a url', '--token-file', token],
      'ERR_CLI_BAD_ADDRESS',
      /--connect 'not a url' is not a ws:\/\/ or wss:\/\/ URL/,
    );
    const coordinator = (...more: string[]) => [
      'coordinator',
      cluster,
      '--token-file',
      token,
      '--output',
      join(folder, 'coord'),
      ...more,
    ];
    await usage(
      t,
      coordinator('--token-file', folder),
      'ERR_CLI_BAD_PATH',
      /--token-file .* is a folder, not a file/,
    );
    await usage(
      t,
      coordinator('--listen', '127.0.0.1:70000'),
      'ERR_CLI_BAD_ADDRESS',
      /--listen 127\.0\.0\.1:70000: port 70000 is not a TCP port/,
    );
    const junk = join(folder, 'junk.pem');
    writeFileSync(junk, 'not a pem\n');
    await usage(
      t,
      coordinator('--listen', '127.0.0.1:0', '--tls-cert', junk, '--tls-key', junk),
      'ERR_CLI_BAD_TLS',
      /--tls-cert .*junk\.pem is not a PEM certificate/,
    );
  },
);

t.test(
  'a batch, units or memory over the named limits is refused before allocating, exit 2 (defect 24)',
  async (t) => {
    const train = (...more: string[]) => [
      'train',
      config('seattle-temperature'),
      '--smoke',
      '--output',
      join(folder, 'big'),
      ...more,
    ];
    await usage(
      t,
      train('--batch-size', '1000000000'),
      'ERR_CLI_BAD_CONFIG',
      /.*training\.batchSize: .*65536/,
    );
    const wide = join(folder, 'wide.json');
    const base = {
      name: 'wide',
      task: 'forecast',
      data: {
        source: { kind: 'dataset', name: 'seattle-weather' },
        inputs: ['temp_max'],
        target: 'temp_max',
      },
    };
    writeFileSync(wide, JSON.stringify({ ...base, model: { units: 100_000 } }));
    await usage(
      t,
      ['train', wide, '--smoke', '--output', join(folder, 'wide')],
      'ERR_CLI_BAD_CONFIG',
      /.*model\.units: .*4096/,
    );
    writeFileSync(wide, JSON.stringify({ ...base, model: { units: 4096, layers: 8, bidirectional: true } }));
    await usage(
      t,
      ['train', wide, '--smoke', '--output', join(folder, 'wide')],
      'ERR_NN_LIMIT_EXCEEDED',
      /the model would have [\d,]+ parameters, over MODEL_MAX_PARAMS/,
    );
    writeFileSync(wide, JSON.stringify({ ...base, model: { units: 1024 } }));
    await usage(
      t,
      ['train', wide, '--smoke', '--batch-size', '65536', '--output', join(folder, 'wide')],
      'ERR_NN_LIMIT_EXCEEDED',
      /training memory for batches of \d+ would be [\d,]+ bytes, over MEMORY_MAX_BYTES/,
    );
  },
);

t.test(
  'a config that is a device, a folder or over CONFIG_MAX_BYTES is refused before reading (defect 24)',
  async (t) => {
    if (process.platform !== 'win32') {
      await usage(t, ['train', '/dev/zero'], 'ERR_CLI_BAD_PATH', /config \/dev\/zero is not a regular file/);
    }
    await usage(t, ['train', folder], 'ERR_CLI_BAD_PATH', /config .* is a folder; give a JSON file/);
    const big = join(folder, 'big.json');
    writeFileSync(big, ' '.repeat(1024 * 1024 + 1));
    await usage(
      t,
      ['summary', big],
      'ERR_CLI_LIMIT_EXCEEDED',
      /config .*big\.json is 1048577 bytes, over CONFIG_MAX_BYTES \(1048576\)/,
    );
  },
);
