// The CLI's errors: one class, stable `ERR_CLI_*` codes (listed in README.md), an exit code and a
// hint per code. Errors from the libraries (RecurError, DataError, ParallelError) keep their own
// codes and are printed the same way: one line, code, message, hint; a stack only with --verbose.
import { inConfigTerms } from './library-messages.js';

export const CliErrorCode = {
  BAD_FLAG: 'ERR_CLI_BAD_FLAG',
  BAD_CONFIG: 'ERR_CLI_BAD_CONFIG',
  NOT_FOUND: 'ERR_CLI_NOT_FOUND',
  BAD_RUN: 'ERR_CLI_BAD_RUN',
  UNSUPPORTED: 'ERR_CLI_UNSUPPORTED',
  INTERRUPTED: 'ERR_CLI_INTERRUPTED',
  RUN_LOCKED: 'ERR_CLI_RUN_LOCKED',
  BAD_PATH: 'ERR_CLI_BAD_PATH',
  BAD_ADDRESS: 'ERR_CLI_BAD_ADDRESS',
  BAD_TLS: 'ERR_CLI_BAD_TLS',
  LIMIT_EXCEEDED: 'ERR_CLI_LIMIT_EXCEEDED',
  BENCH_MISSING: 'ERR_CLI_BENCH_MISSING',
} as const;
export type CliErrorCodeValue = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** Exit codes: 0 success, 1 a failure while running, 2 a usage or config error, 130 stopped by SIGINT. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2, INTERRUPTED: 130 } as const;

const HINTS: Record<CliErrorCodeValue, string> = {
  ERR_CLI_BAD_FLAG: 'run `recur <command> --help` for the flags',
  ERR_CLI_BAD_CONFIG: 'the config reference is in packages/cli/README.md; configs/ has working examples',
  ERR_CLI_NOT_FOUND: 'check the path; a run folder is what `recur train` wrote (it holds config.json)',
  ERR_CLI_BAD_RUN: 'train again with `recur train <config>`, or point at another run folder',
  ERR_CLI_UNSUPPORTED: 'see the task table in packages/cli/README.md',
  ERR_CLI_INTERRUPTED: 'resume with `recur train <config> --resume`',
  ERR_CLI_RUN_LOCKED: 'wait for that run or stop it, or give another --output',
  ERR_CLI_BAD_PATH: 'check the path: a file where a file is expected, a folder where a folder is',
  ERR_CLI_BAD_ADDRESS:
    'an address is host:port with a port from 1 to 65535; a URL is ws://host:port or wss://host:port',
  ERR_CLI_BAD_TLS: 'give PEM files: the certificate (-----BEGIN CERTIFICATE-----) and its private key',
  ERR_CLI_LIMIT_EXCEEDED:
    'the limits are in packages/cli/README.md (Limits); make the model or the batch smaller',
  ERR_CLI_BENCH_MISSING: 'install it beside @recur/cli: npm install @recur/bench (the same version)',
};

/** Codes that are the caller's to fix (exit code 2), besides the flag and config codes. */
const USAGE_CODES: readonly CliErrorCodeValue[] = [
  CliErrorCode.BAD_PATH,
  CliErrorCode.BAD_ADDRESS,
  CliErrorCode.BAD_TLS,
  CliErrorCode.LIMIT_EXCEEDED,
];

export class CliError extends Error {
  readonly code: CliErrorCodeValue;
  readonly exitCode: number;
  readonly hint: string;

  constructor(code: CliErrorCodeValue, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint ?? HINTS[code];
    this.exitCode =
      code === CliErrorCode.BAD_FLAG || code === CliErrorCode.BAD_CONFIG || USAGE_CODES.includes(code)
        ? ExitCode.USAGE
        : code === CliErrorCode.INTERRUPTED
          ? ExitCode.INTERRUPTED
          : ExitCode.FAILURE;
  }
}

export function fail(
  code: CliErrorCodeValue,
  message: string,
  options?: { hint?: string; cause?: unknown },
): never {
  throw new CliError(code, message, options);
}

/** Hints for the libraries' error codes, by prefix. */
const LIBRARY_HINTS: [string, string][] = [
  ['ERR_NN_NON_FINITE', 'lower training.learningRate or set training.clipNorm'],
  ['ERR_NN_BAD_CHECKPOINT', 'the checkpoint is damaged or from a newer recur: train again'],
  [
    'ERR_NN_LIMIT_EXCEEDED',
    'make model.units, model.layers or training.batchSize smaller (limits: packages/cli/README.md)',
  ],
  ['ERR_NN_NOT_A_FILE', 'give the path of a .ckpt file that `recur train` wrote'],
  [
    'ERR_DATA_BAD_CSV',
    "fix the file, or set data.source.missing to 'previous' or 'drop-row' for missing values",
  ],
  [
    'ERR_DATA_NOT_FOUND',
    "check data.source.path: a relative path is taken from the config file's folder, not the working directory",
  ],
  ['ERR_DATA_', 'check the data section of the config and the file it names'],
  ['ERR_NN_', 'check the model and training sections of the config'],
  ['ERR_PARALLEL_', 'try again with --threads 1 to rule out the thread pool'],
];

/** Library codes that are the caller's to fix (exit code 2): a model or batch over a named limit. */
const LIBRARY_USAGE_CODES: readonly string[] = ['ERR_NN_LIMIT_EXCEEDED'];

/** The one line printed for an error, and the exit code. */
export function describeError(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliError) {
    return { line: `recur: ${error.code}: ${error.message} (hint: ${error.hint})`, exitCode: error.exitCode };
  }
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'ERR_CLI_INTERNAL';
  const raw = typeof e?.message === 'string' ? e.message : String(error);
  const message = code.startsWith('ERR_DATA_') ? inConfigTerms(raw) : raw;
  const hint =
    LIBRARY_HINTS.find(([prefix]) => code.startsWith(prefix))?.[1] ??
    (code === 'ENOENT' ? 'check the path' : 'run again with --verbose for the stack trace');
  const exitCode = LIBRARY_USAGE_CODES.includes(code) ? ExitCode.USAGE : ExitCode.FAILURE;
  return { line: `recur: ${code}: ${message.split('\n')[0]} (hint: ${hint})`, exitCode };
}
