// recur bench: the benchmark suite of @recur/bench (issue 8), a thin wrapper: the flags, the run,
// the table, bench.json and bench.html are @recur/bench's runCli; `recur bench --help` lists them.
import { BenchError, BenchErrorCode, parseBenchArgs, runCli } from '@recur/bench';
import type { Command } from 'commander';
import { CliErrorCode, fail } from '../errors.js';
import type { CliCommand } from './command.js';

export const bench: CliCommand = {
  name: 'bench',
  register(program: Command, context) {
    program
      .command('bench')
      .description(
        'benchmark recur (1 … cores threads, cluster on loopback) beside tfjs cpu/wasm and PyTorch + OpenBLAS on lstm-std, gru-std, lstm-big (--help for the flags)',
      )
      .helpOption(false)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .argument('[flags...]', 'the flags of @recur/bench (see recur bench --help)')
      .action(async (_flags: string[], _options: unknown, command: Command) => {
        const argv = command.args;
        try {
          parseBenchArgs(argv);
        } catch (error) {
          if (error instanceof BenchError) fail(CliErrorCode.BAD_FLAG, `${error.code}: ${error.message}`);
          throw error;
        }
        const io = {
          stdout: (text: string) => context.write(text.replace(/\n$/, '')),
          stderr: (text: string) => process.stderr.write(text),
        };
        if ((await runCli(argv, io, 'recur bench')) !== 0) {
          throw new BenchError(
            BenchErrorCode.CHILD_FAILED,
            'a recur measurement failed: see the notes of the table',
          );
        }
      });
  },
};
