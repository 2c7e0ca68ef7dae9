"""Benchmark: building a person's printout, against plain reportlab building the same pages.

Run: ``.venv/bin/python bench/bench_pdf.py [--runs N] [--rounds N]``. Target: the standard plan at
most 3x a fair floor, and a median of at most 150 ms so "print plan" feels immediate.

The floor (bench/pdf_floor.py) is plain reportlab laying out the same document from the same
`PlanDocument`: same A4 page and margins, same embedded fonts with the same fallback face, same
paragraph styles, tables, bars and "Page 1 of 2" footers, no project layout code. Both sides
are checked to give the same number of pages and the same text before anything is timed. The
letter has no floor of its own and is listed for its time only.

Each figure: --rounds rounds of --runs builds, the median of each round; printed as the median
of those with their spread (min-max), sides interleaved so machine load falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium

from sp_desktop.pdf import fonts, samples
from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.plan import build_plan

sys.path.insert(0, str(Path(__file__).parent))
from pdf_floor import floor_plan  # noqa: E402

TARGET_MEDIAN_MS = 150.0
TARGET_RATIO = 3.0


def _ms(build: Callable[[], bytes]) -> float:
    start = time.perf_counter()
    build()
    return (time.perf_counter() - start) * 1000


def _pages_and_words(pdf: bytes) -> tuple[int, list[str]]:
    document = pdfium.PdfDocument(pdf)
    words: list[str] = []
    for page in document:
        words += page.get_textpage().get_text_range().split()
    return len(document), words


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="builds per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    fonts.register_fonts()
    register_ms = (time.perf_counter() - start) * 1000
    plan, large = samples.sample_plan(), samples.sample_plan(large_print=True)
    letter = samples.sample_letter()
    page_counts = []
    for doc in (plan, large):
        ours, floor = _pages_and_words(build_plan(doc)), _pages_and_words(floor_plan(doc))
        if ours[0] != floor[0]:
            print(f"floor has {floor[0]} pages where ours has {ours[0]}: not comparable")
            return 2
        missing = set(ours[1]) ^ set(floor[1])
        if len(missing) > 12:  # our footer's bookmark/page label words aside
            print(f"floor and ours differ in words: {sorted(missing)[:20]}")
            return 2
        page_counts.append(ours[0])
    builds = {
        "floor: plain reportlab, standard plan": lambda: floor_plan(plan),
        "plan, standard print (5 steps, 3 activities)": lambda: build_plan(plan),
        "floor: plain reportlab, large print": lambda: floor_plan(large),
        "plan, large print": lambda: build_plan(large),
        "referrer letter (no floor)": lambda: build_letter(letter),
    }
    for build in builds.values():
        build()  # caches warm before anything is timed
    rounds: dict[str, list[float]] = {name: [] for name in builds}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, build in builds.items():
            rounds[name].append(statistics.median(_ms(build) for _ in range(args.runs)))

    print(f"font registration, once per process: {register_ms:.1f} ms")
    print(f"{args.rounds} rounds x {args.runs} builds; pages: standard {page_counts[0]}, "
          f"large print {page_counts[1]} "
          f"(same on both sides); load average {load:.2f} -> {os.getloadavg()[0]:.2f}\n")
    print(f"{'document':48} {'median':>8} {'spread':>14} {'x floor':>8}")
    floors = {
        "plan, standard print (5 steps, 3 activities)": "floor: plain reportlab, standard plan",
        "plan, large print": "floor: plain reportlab, large print",
    }
    for name, values in rounds.items():
        median = statistics.median(values)
        ratio = ""
        if name in floors:
            ratio = f"{median / statistics.median(rounds[floors[name]]):7.2f}x"
        print(f"{name:48} {median:6.1f}ms {min(values):6.1f}-{max(values):5.1f}ms {ratio:>8}")
    standard = statistics.median(rounds["plan, standard print (5 steps, 3 activities)"])
    ratio = standard / statistics.median(rounds["floor: plain reportlab, standard plan"])
    ok = standard <= TARGET_MEDIAN_MS and ratio <= TARGET_RATIO
    print(f"\nstandard plan {standard:.1f} ms, {ratio:.2f}x the floor: "
          f"{'meets' if ok else 'MISSES'} <= {TARGET_MEDIAN_MS:.0f} ms and <= {TARGET_RATIO:.0f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
