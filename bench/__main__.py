"""Every benchmark, one after the other, and (with --readme) every performance table in README.md.

    python -m bench            # print the tables (25 to 45 minutes on 2 cores)
    python -m bench --readme   # also write them into README.md

Each benchmark states the machine it ran on under its table, and measures its baseline in
the same run, so the ratios hold on a noisy shared machine. They run one at a time: two at
once would measure each other.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_19 = "16c8e30"  # main when issue #19 was written, before any of its work: the load test's "before"
BENCHMARKS = ("bench_pages.py", "bench_server.py", "bench_training.py", "bench_seq2seq.py", "bench_browser.py",
              "load_test.py", "load_test.py --capacity --sessions 15",
              f"load_test.py --against {BEFORE_19} --sessions 15", "memory_test.py", "bench_korean.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write every table into README.md")
    args = parser.parse_args()
    failed = []
    for script in BENCHMARKS:
        print(f"\n=== {script} ===", flush=True)
        script, *options = script.split()
        command = [sys.executable, str(ROOT / "bench" / script), *options, *(["--readme"] if args.readme else [])]
        if subprocess.run(command, cwd=ROOT).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
