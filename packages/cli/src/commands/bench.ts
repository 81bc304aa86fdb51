// recur bench: the benchmark suite of @recur/bench. The flags are commander's, like every other
// command's; the run, the table, bench.json and bench.html are @recur/bench's (planFromFlags,
// runPlan). @recur/bench is an optional peer of the CLI: it is imported here, when `recur bench`
// runs, and its absence is ERR_CLI_BENCH_MISSING (README.md, "recur bench").
import { type Command, Option } from 'commander';
import { CliErrorCode, fail } from '../errors.js';
import type { CliCommand } from './command.js';

type BenchModule = typeof import('@recur/bench');
type BenchFlags = import('@recur/bench').BenchFlags;

/** Whether `error` says that @recur/bench itself is not installed (not one of its own imports). */
function isBenchMissing(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes("'@recur/bench'")
  );
}

async function loadBench(): Promise<BenchModule> {
  try {
    return await import('@recur/bench');
  } catch (error) {
    if (isBenchMissing(error)) {
      fail(CliErrorCode.BENCH_MISSING, '`recur bench` needs the optional package @recur/bench', {
        cause: error,
      });
    }
    throw error;
  }
}

const BENCH_HELP = 'run `recur bench --help` for the flags';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags of @recur/bench's command line (its README), as commander options. */
function addFlags(command: Command): Command {
  return command
    .option('--workloads <list>', 'workloads, comma-separated (default lstm-std,gru-std,lstm-big)')
    .option('--systems <list>', "systems, comma-separated (default all; @recur/bench's README lists them)")
    .option('--threads <list>', 'thread counts for recur and PyTorch (default 1 … cores)')
    .option('--cluster-nodes <list>', 'node processes (one thread each) for the cluster (default 1,2)')
    .option('--cluster-precisions <list>', "the cluster's gradient precisions: fp32,fp16 (default fp32)")
    .option(
      '--cluster-bucket-bytes <list>',
      "the cluster nodes' bucketBytes, each measured: e.g. 0,262144 (default 0: whole gradients)",
    )
    .option('--repeats <n>', 'measurements per system, reported as medians (default 3; lstm-big 2)')
    .option('--warmup <n>', 'untimed steps per measurement (default 10; lstm-big 1)')
    .option('--steps <n>', 'timed steps per measurement (default 5; lstm-big 1)')
    .addOption(
      new Option('--set <W.KEY=N>', 'per workload: KEY is repeats, warmup or steps (repeatable)').argParser(
        collect,
      ),
    )
    .option('--seed <n>', 'data and initialisation seed (default 1)')
    .option('--cache-dir <dir>', 'where peers are installed (default .cache/bench-peers)')
    .option('--no-install', 'do not install missing peers: skip them')
    .option('--out <dir>', 'where bench.json and bench.html go (default .cache/bench-results)')
    .option('--json', 'print the JSON report on stdout instead of the table')
    .option('--child-timeout-s <n>', 'the longest one measurement may run, seconds (default 1800)')
    .option(
      '--scaling-rounds <n>',
      "rounds of recur's interleaved scaling measurement: threads(W) fits alternated in one process (default 9; 0: none)",
    )
    .option(
      '--balance <n>',
      "recur's threads(W) for W ≥ 2 balance micro-batches of about N samples (default 0: plain threads(W))",
    )
    .option('--quiet', 'no progress lines on stderr');
}

/** The command line as given (the flags set on it), for the report's header. */
function shownCommand(command: Command): string {
  const words = ['recur bench'];
  for (const option of command.options) {
    const name = option.attributeName();
    if (command.getOptionValueSource(name) !== 'cli') continue;
    const value: unknown = command.getOptionValue(name);
    const flag = option.long ?? option.flags;
    if (typeof value === 'boolean') words.push(flag);
    else for (const item of [value].flat()) words.push(`${flag} ${String(item)}`);
  }
  return words.join(' ');
}

export const bench: CliCommand = {
  name: 'bench',
  register(program: Command, context) {
    addFlags(
      program
        .command('bench')
        .description(
          'benchmark recur (1 … cores threads, cluster on loopback) beside tfjs cpu/wasm and PyTorch + OpenBLAS on lstm-std, gru-std, lstm-big (needs @recur/bench)',
        ),
    ).action(async (flags: BenchFlags, command: Command) => {
      const { BenchError, BenchErrorCode, planFromFlags, runPlan } = await loadBench();
      let plan: ReturnType<typeof planFromFlags>;
      try {
        plan = planFromFlags(flags);
      } catch (error) {
        if (error instanceof BenchError) {
          fail(CliErrorCode.BAD_FLAG, `${error.code}: ${error.message}`, { hint: BENCH_HELP });
        }
        throw error;
      }
      const io = {
        stdout: (text: string) => context.write(text.replace(/\n$/, '')),
        stderr: (text: string) => process.stderr.write(text),
      };
      if ((await runPlan(plan, io, shownCommand(command))) !== 0) {
        throw new BenchError(
          BenchErrorCode.CHILD_FAILED,
          'a recur measurement failed: see the notes of the table',
        );
      }
    });
  },
};
