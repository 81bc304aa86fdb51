# PyTorch's matrix products on the shapes of scripts/bench-kernels.mjs, one thread, for the
# "beside PyTorch in the same run" column there. Reads the products as JSON on stdin
# ([[label, M, N, K, transA, transB], ...]) and prints [GFLOP/s, ...] as JSON: the median of 5
# samples after warm-up, each repeating the product until it lasts at least 20 ms.
# Run with Debian's /usr/bin/python3 (python3-torch), LD_LIBRARY_PATH at OpenBLAS (openmp).
# RECUR_BENCH_CLOCK=cpu times by this process's CPU time (bench-kernels.mjs --clock cpu).
import json
import os
import statistics
import sys
import time

import torch

clock = time.process_time if os.environ.get("RECUR_BENCH_CLOCK") == "cpu" else time.perf_counter
torch.set_num_threads(1)
torch.manual_seed(0)


def time_call(fn):
    fn()
    fn()
    start = clock()
    fn()
    estimate = max(clock() - start, 1e-6)
    calls = max(1, int(0.02 / estimate))
    samples = []
    for _ in range(5):
        start = clock()
        for _ in range(calls):
            fn()
        samples.append((clock() - start) / calls)
    return statistics.median(samples)


out = []
for _label, M, N, K, trans_a, trans_b in json.load(sys.stdin):
    a = torch.randn(K, M) if trans_a else torch.randn(M, K)
    b = torch.randn(N, K) if trans_b else torch.randn(K, N)
    op_a = a.t() if trans_a else a
    op_b = b.t() if trans_b else b
    c = torch.empty(M, N)
    seconds = time_call(lambda: torch.mm(op_a, op_b, out=c))
    out.append(2 * M * N * K / seconds / 1e9)
print(json.dumps(out))
