"""`make bench`: run every benchmark (benchmarks/bench_*.py) and write docs/performance.md.

Each benchmark runs in its own process, so one's memory never weighs on the next and the
memory figures are its own. `SCALE` (default 1.0, the sizes the issue names) shrinks every
benchmark for a quick look; a run at another scale says so in the document's heading.

    .venv/bin/python benchmarks/run.py [--scale 1.0] [--only bench_import,bench_replay] [--output docs/performance.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import ROOT, commit, load_section, machine, now  # noqa: E402

HEADER = """# Performance

Written by `make bench` (benchmarks/run.py); edit the benchmarks, not this file. Every figure
is measured against the stack's own limit in the same run, so the ratios hold on a noisy
machine where the absolute numbers move. Targets are issue 8's, on a 2-core machine.
"""

FOOTER = (Path(__file__).resolve().parent / "performance-notes.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default="", help="comma-separated module names (bench_status, ...)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    modules = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m in args.only.split(",")]
    started, context = time.monotonic(), machine()
    sections, failed = [], []
    with tempfile.TemporaryDirectory() as folder:
        for module in modules:
            out = Path(folder) / f"{module}.json"
            print(f"== {module}", flush=True)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve().parent / f"{module}.py"),
                                   "--scale", str(args.scale), "--json", str(out)], cwd=ROOT)
            if done.returncode != 0 or not out.exists():
                failed.append(module)
                continue
            sections.append(load_section(json.loads(out.read_text())))
    figures = [f for s in sections for f in s.figures if f.target is not None]
    summary = ["## Targets at a glance", "", "| measured | ratio | target | |", "|---|---|---|---|"]
    for f in figures:
        ratio = f"{f.ratio:.0%}" if f.better == "higher" else f"{f.ratio:.2f}×"
        target = f"≥ {f.target:.0%}" if f.better == "higher" else f"≤ {f.target:g}×"
        summary.append(f"| {f.name} | {ratio} | {target} | {'met' if f.met else '**not met**'} |")
    scale = "" if args.scale == 1.0 else f" **at scale {args.scale:g}, not the issue's sizes**"
    document = [HEADER, f"Measured {now()} at commit {commit()}{scale}, on {context}; "
                f"the whole run took {(time.monotonic() - started) / 60:.0f} min.", ""]
    if failed:
        document += [f"**Failed to run:** {', '.join(failed)} (see the run's output).", ""]
    document += [*summary, "", *(s.markdown() for s in sections)]
    if FOOTER.exists():
        document.append(FOOTER.read_text())
    args.output.write_text("\n".join(document).rstrip() + "\n")
    print(f"wrote {args.output}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
