"""Engine overhead per sample on a trivial callable: samples per second with 1 and 2 workers.

Run: ``python benchmarks/engine_overhead.py [N]``. Prints each configuration side by side with the
bare function-call rate, so the numbers are ratios on the same machine, not absolute targets.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from uncertainty import Parameter, Study, Uniform, run_study

MODEL = "def trivial(x1, x2, x3):\n    return {'y': x1 + x2 + x3}\n"


def main(n: int = 4096) -> None:
    """Time ``run_study`` on a Sobol design of base size ``n`` (5n samples) with 1 and 2 workers."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bench_model.py").write_text(MODEL)
        sys.path.insert(0, str(folder))
        from bench_model import trivial

        params = [Parameter(f"x{i}", Uniform(lower=0.0, upper=1.0)) for i in (1, 2, 3)]
        study = Study(name="bench", parameters=params, seed=1, outputs=("y",),
                      model="bench_model:trivial", n=n)  # fmt: skip
        n_samples = n * 5
        start = time.perf_counter()
        for i in range(n_samples):
            trivial(x1=0.1 * i, x2=0.2, x3=0.3)
        bare = n_samples / (time.perf_counter() - start)
        print(f"{n_samples} samples; bare call: {bare:,.0f} samples/s")
        rates = {}
        for n_jobs, batch in ((1, None), (2, None), (1, 1000), (2, 1000)):
            run_study(study, folder / "warm", n_jobs=n_jobs, fresh=True)  # start the workers
            start = time.perf_counter()
            run_study(study, folder / f"r{n_jobs}", n_jobs=n_jobs, batch_size=batch, fresh=True)
            seconds = time.perf_counter() - start
            rates[(n_jobs, batch)] = n_samples / seconds
            label = f"n_jobs={n_jobs} batch={batch or 'auto'}"
            print(
                f"{label:24s} {seconds:6.2f} s  {rates[(n_jobs, batch)]:8,.0f} samples/s  "
                f"overhead {1e3 * seconds / n_samples:.3f} ms/sample"
            )
        print(
            f"ratio 2 workers / 1 worker (auto batches): {rates[(2, None)] / rates[(1, None)]:.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4096)
