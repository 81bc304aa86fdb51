# One measurement of PyTorch on one workload, in its own process so that its peak RSS is its own.
# Started by @recur/bench (src/measure.ts) with Debian's interpreter, from a working directory that
# holds no torch/ folder (one there would shadow the module):
#   /usr/bin/python3 runners/torch_bench.py '<spec as JSON>'
# OpenBLAS is selected by the caller (LD_LIBRARY_PATH at Debian's openblas-openmp folder; the
# reference BLAS python3-torch brings by default is ten times slower). It trains last hidden →
# Linear(1), MSE, Adam 1e-3 on the batch in spec.dataFile (float32: x [B, T, I] batch-major, then
# y [B, 1]), warm-up steps first, and prints one line `RECUR_BENCH_RESULT {json}`.
import json
import resource
import sys
import time

import numpy as np
import torch

spec = json.loads(sys.argv[1])
torch.set_num_threads(int(spec["threads"]))  # with OpenMP this also bounds the BLAS threads
torch.manual_seed(int(spec["seed"]))
w = spec["workload"]
B, T, I, H = w["batch"], w["timesteps"], w["features"], w["hidden"]
floats = np.fromfile(spec["dataFile"], dtype="<f4")
x = torch.from_numpy(floats[: B * T * I].reshape(B, T, I).copy())
y = torch.from_numpy(floats[B * T * I : B * T * I + B].reshape(B, 1).copy())


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        cell = torch.nn.LSTM if w["cell"] == "lstm" else torch.nn.GRU
        self.rnn = cell(I, H, batch_first=True)
        self.head = torch.nn.Linear(H, 1)

    def forward(self, inputs):
        _, state = self.rnn(inputs)
        h = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
        return self.head(h[-1])


model = Model()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.MSELoss()
loss = 0.0


def step():
    global loss
    t0 = time.perf_counter()
    optimizer.zero_grad()
    out = loss_fn(model(x), y)
    out.backward()
    optimizer.step()
    loss = float(out.item())
    return (time.perf_counter() - t0) * 1000


warmup_ms = [step() for _ in range(int(spec["warmup"]))]
step_ms = [step() for _ in range(int(spec["steps"]))]


def blas_libraries():
    """The BLAS shared objects this process really mapped (tells OpenBLAS from the reference)."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in path or "lapack" in path:
                found.add(path)
    return sorted(found)


libs = blas_libraries()
result = {
    "stepMs": step_ms,
    "warmupMs": warmup_ms,
    "loss": loss,
    "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "detail": {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": "openblas" if any("openblas" in p for p in libs) else ("reference" if libs else "unknown"),
        "blasLibraries": libs,
    },
}
sys.stdout.write("RECUR_BENCH_RESULT " + json.dumps(result) + "\n")
