"""Benchmark: the book's cat.bin loader against the course's, side by side.

``python -m benchmarks [--drawings 123202] [--repeats 3] [--out benchmarks/results.md]``

1. Writes a synthetic ``cat.bin`` with the course's writer (benchmarks/synthetic.py):
   as many drawings as the real file, shaped like real cats. Real data is not
   reachable offline, and only the format and the sizes matter to the loaders.
2. Runs each loader ``--repeats`` times, alternating, each run in a fresh
   subprocess (benchmarks/loaders.py) so that the peak memory is that loader's.
3. Prints a Markdown table of medians and writes it to ``--out``.

This parent process deliberately imports nothing heavy and holds no data:
Linux carries ru_maxrss over fork and exec, so a big parent would inflate
every child's peak-memory figure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL_CAT_COUNT = 123_202


def child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"`python -m {' '.join(args)}` failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


HISTORY_MARKER = "<!-- measurement history: `make bench` keeps everything below this line -->"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drawings", type=int, default=REAL_CAT_COUNT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cat.bin"
        stats = child("benchmarks.synthetic", str(path), str(args.drawings))
        size_mb = path.stat().st_size / 2**20
        print(f"synthetic cat.bin: {args.drawings:,} drawings, {size_mb:.1f} MB", flush=True)

        runs: dict[str, list[dict]] = {"book": [], "course": []}
        for r in range(args.repeats):
            for loader in runs:  # alternate, so that background load hits both alike
                result = child("benchmarks.loaders", loader, str(path))
                runs[loader].append(result)
                print(f"  run {r + 1}/{args.repeats} {loader:6s} {result['cpu_seconds']:7.2f} CPU s "
                      f"{result['seconds']:7.2f} wall s  peak {result['peak_mb']:6.0f} MB", flush=True)
        agree = child("benchmarks.loaders", "agree", str(path))

    rows = []
    for loader, label in (("book", "book: per-drawing loop, PIL lines -> float32 (n,32,32,1)"),
                          ("course", "course: `load_binary_rasterized` -> uint8 (n,32,32)")):
        pick = lambda key: statistics.median(r[key] for r in runs[loader])  # noqa: E731
        rows.append(dict(label=label, wall=pick("seconds"), cpu=pick("cpu_seconds"),
                         peak=pick("peak_mb"), hwm=pick("vm_hwm_mb"), base=pick("baseline_mb"),
                         result=runs[loader][0]["nbytes_mb"]))
    book, course = rows
    load = os.getloadavg()

    lines = [
        "# cat.bin loading: the book's loader vs the course's",
        "",
        f"Synthetic `cat.bin` written by `python -m benchmarks`: {args.drawings:,} drawings "
        f"{'(as many as the real file)' if args.drawings == REAL_CAT_COUNT else '(the real file has 123,202)'}, {size_mb:.1f} MB, {stats['strokes_per_drawing']:.1f} strokes per "
        f"drawing and {stats['points_per_stroke']:.1f} points per stroke on average. Each run in its own "
        f"process; {args.repeats} runs per loader, alternating; medians.",
        "",
        "| loader | CPU s | wall s | drawings per CPU s | peak RSS MB (ru_maxrss) | RSS before loading MB | result MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | {r['cpu']:.2f} | {r['wall']:.2f} | {args.drawings / r['cpu']:,.0f} | "
                     f"{r['peak']:.0f} | {r['base']:.0f} | {r['result']:.0f} |")
    lines += [
        "",
        f"**Speed-up: {book['cpu'] / course['cpu']:.1f}x in CPU time, {book['wall'] / course['wall']:.1f}x "
        f"in wall time** (medians, book / course). Peak memory: {course['peak']:.0f} MB (course) vs "
        f"{book['peak']:.0f} MB (book); the kernel's VmHWM agrees ({course['hwm']:.0f} and {book['hwm']:.0f} MB).",
        "",
        "CPU time (user + system of the loading process) is the headline because the machine is "
        "shared: wall time also counts waiting for a core. Peak RSS includes the interpreter, numpy "
        "and Pillow ('before loading'). The book's loader ends with float32 images (its list of "
        "per-drawing arrays and the final array coexist); the course keeps uint8 and converts later.",
        "",
        f"Pixels (first {agree['drawings']:,} drawings): the course's rasterization and the book's PIL lines agree on "
        f"{agree['same_pixels']:.1%} of pixels (ink IoU {agree['ink_iou']:.2f}; ink covers "
        f"{agree['course_ink']:.1%} vs {agree['book_ink']:.1%} of pixels). They differ by design: "
        f"the course follows its own exact rule (`aecourse.quickdraw.rasterize`).",
        "",
        f"Machine: {os.cpu_count()} CPUs shared with other work (load average at the end: "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}); Python {platform.python_version()}, "
        f"numpy {version('numpy')}, Pillow {version('pillow')}; {datetime.date.today().isoformat()}.",
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    # The file also holds the course's measurement history below HISTORY_MARKER (moved
    # out of the README): rewrite only the loader section above it.
    old = args.out.read_text() if args.out.exists() else ""
    history = old[old.index(HISTORY_MARKER):] if HISTORY_MARKER in old else ""
    args.out.write_text(text + ("\n" + history if history else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
