"""How long `kb --help` takes to start, as CPU time (steady on a busy machine) and wall time.

Issue 12 asked for the figure before and after the CLI stopped importing the model. Give one or
more `kb` executables (e.g. the virtualenvs of two checkouts); runs are interleaved so a change in
the machine's load hits each alike::

    python benchmarks/cli_startup.py before=/path/a/.venv/bin/kb after=.venv/bin/kb --runs 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time


def measure(kb: str) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one `kb --help`."""
    start = time.perf_counter()
    process = subprocess.Popen([kb, "--help"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{kb} --help exited with status {status}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="NAME=PATH of a kb executable")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    commands = dict(item.split("=", 1) for item in args.commands)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, kb in commands.items():
            results[name].append(measure(kb))
    print(f"load average before the last run: {os.getloadavg()[0]:.1f}")
    for name, samples in results.items():
        cpu = [sample[0] for sample in samples]
        wall = [sample[1] for sample in samples]
        print(f"{name}: CPU median {statistics.median(cpu):.2f} s ({min(cpu):.2f}-{max(cpu):.2f}), "
              f"wall median {statistics.median(wall):.2f} s")


if __name__ == "__main__":
    main()
