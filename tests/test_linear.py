"""Adversarial text costs time linear in its length: doubling it (twice) must not quadruple the work.

For each kind of text `bench.bench_linear` aims at a path of the engine (no punctuation, a
row of one character, rows of spaces, marks, markup, line breaks...), the CPU time of
`correct_text` at n and 4n characters (median of five runs each) is compared: linear work
gives a ratio near 4, quadratic near 16; the bound, 8, leaves room for a loaded machine
and for the fixed costs that make small inputs relatively slower. The collector is paused
while timing, as timeit does: in a full test run it would otherwise walk the heap the other
tests left, whenever it happens to run, and charge that to one size. A ratio, not a time:
`bench/bench_linear.py` reports the times.
"""
from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is a folder of the repository

from bench import bench_linear  # noqa: E402

SMALL, LARGE = 4_000, 16_000
#: linear work gives LARGE / SMALL = 4; quadratic 16
RATIO_BOUND = 8.0
RUNS = 5


@contextmanager
def collector_paused():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(scope="module")
def warm():
    bench_linear.warm_up()


@pytest.mark.parametrize("kind", sorted(bench_linear.KINDS))
def test_time_grows_linearly_with_the_text(kind, warm):
    make = bench_linear.KINDS[kind]
    with collector_paused():
        small = bench_linear.correction_seconds(make(SMALL), repeat=RUNS)
        large = bench_linear.correction_seconds(make(LARGE), repeat=RUNS)
    # a run too fast to time (a text every rule passes over) is linear enough
    assert large < 0.05 or large / max(small, 1e-3) < RATIO_BOUND, f"{kind}: {small:.4f}s -> {large:.4f}s"


def test_doubling_ratios_divide_each_time_by_the_one_before():
    assert bench_linear.doubling_ratios([1.0, 2.0, 8.0]) == [None, 2.0, 4.0]
    assert bench_linear.doubling_ratios([0.0, 1.0]) == [None, None]
