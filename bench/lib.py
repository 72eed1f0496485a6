"""Shared helpers of the bench/ scripts: the machine header every result
file carries, medians and nearest-rank percentiles, ratios that survive a
zero or a missing figure, and writing bench/results/<name>.json.

Imported by the python blocks of the bench/*.sh scripts (they run from the
repository root with bench/ on sys.path). Benchmarks print figures; nothing
here judges them."""
import json
import math
import os
import statistics
import subprocess


def machine():
    """commit, cores and CPU model: the header of every result file."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"commit": commit + ("-dirty" if dirty else ""), "cores": os.cpu_count(),
            "cpu": model, "load_1min": os.getloadavg()[0]}


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a list; None when empty."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    k = max(0, -(-p * len(v) // 100) - 1)
    return v[int(k)]


def ratio(a, b):
    """a / b, or None when either side is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(x, spec=".1f", width=0):
    """A figure for a table: '-' when missing."""
    s = "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)
    return s.rjust(width) if width else s


def write(name, figures):
    """bench/results/<name>.json: the machine header, then every figure."""
    os.makedirs("bench/results", exist_ok=True)
    path = f"bench/results/{name}.json"
    doc = {"benchmark": name, **machine(), **figures}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"written: {path}")
    return path
