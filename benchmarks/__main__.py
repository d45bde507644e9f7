"""`make bench`: run every benchmark script in this folder and print its figures.

Each script runs in a process of its own, so the peak memory it prints is its own (a process
started from a large one inherits that one's high-water mark).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
for script in sorted(here.glob("bench_*.py")):
    print(f"== {script.stem}", flush=True)
    subprocess.run([sys.executable, "-m", f"benchmarks.{script.stem}"], cwd=here.parent, check=True)
    print(flush=True)
