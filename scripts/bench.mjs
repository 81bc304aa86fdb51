// The benchmark suite of @recur/bench, for use without the CLI (not run by CI: it is not a test):
// recur on threads(W) for W = 1 … cores beside @tensorflow/tfjs (cpu, wasm) and PyTorch +
// OpenBLAS on lstm-std, gru-std and lstm-big; peers installed on demand into .cache/bench-peers.
//
//   pnpm exec turbo run build
//   node scripts/bench.mjs [--help] [--workloads …] [--repeats 3] [--steps 5] [--set lstm-big.steps=2]
//
// Prints the table; writes .cache/bench-results/bench.json and bench.html (see --out).
import { runCli } from '@recur/bench';

process.exitCode = await runCli(process.argv.slice(2));
