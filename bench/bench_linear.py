"""Adversarial input: the engine's time must grow linearly with the text, whatever the text.

Each kind of text below is one an attacker or a careless user could send (a paste with no
punctuation, a row of one character, a page of marks or spaces, many witnesses of one long
text); each is corrected at doubling sizes through the library (`jiaokan.correct_text`), and
the report gives the CPU seconds (median of ``--repeat`` runs) and the ratio of each size's
time to the half size's: about 2 for linear work, 4 for quadratic. The issue's figures
(before: 8k 0.4 s, 16k 1.5 s, 32k 5.8 s, 64k 22.8 s of unpunctuated text; 300,000 repeated
characters no answer in 600 s; 50 witnesses of 30k characters 108 s) are the ``unpunctuated``,
``repeated`` and ``witnesses`` rows.

    python -m bench.bench_linear                          # 8k-64k of every kind, 300k repeated, 50 x 30k witnesses
    python -m bench.bench_linear --quick                  # 4k-16k, no 300k or witnesses: checks the harness
    python -m bench.bench_linear --kinds unpunctuated,repeated --sizes 8000,16000,32000,64000 --no-witnesses --json /tmp/linear.json

`tests/test_linear.py` asks the same question of each kind at small sizes (a generous bound on
the ratio of the medians, not an absolute time).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not of the installed package

from bench import write_json  # noqa: E402

SEEDS = ROOT / "seeds"
DEFAULT_SIZES = (8_000, 16_000, 32_000, 64_000)
QUICK_SIZES = (4_000, 8_000, 16_000)
#: the issue's worst single request and witness load
REPEATED_LENGTH = 300_000
WITNESS_COUNT, WITNESS_LENGTH = 50, 30_000


def seed_han() -> str:
    """The Han characters of the seed pages, in order (prose with every mark and break taken out)."""
    from jiaokan.script import HAN_PATTERN

    text = "".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return "".join(HAN_PATTERN.findall(text))


def seed_prose() -> str:
    """The seed pages as they are (punctuated prose with line breaks)."""
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))


def _cycled(material: str, length: int) -> str:
    return (material * (length // max(1, len(material)) + 1))[:length]


def _shuffled_han(length: int) -> str:
    """Han characters of the seeds in a seeded random order: no repeated stretch, no word order."""
    han = seed_han()
    generator = random.Random(length)
    return "".join(generator.choice(han) for _ in range(length))


#: kind -> text of a given length; each aims at a different path of the engine
KINDS: dict[str, Callable[[int], str]] = {
    "unpunctuated": lambda length: _cycled(seed_han(), length),
    "shuffled": _shuffled_han,
    "repeated": lambda length: "啊" * length,
    "repeated_pair": lambda length: _cycled("的了", length),
    "doubled_words": lambda length: _cycled("程序序坐坐标", length),
    "spaced": lambda length: " ".join(_cycled(seed_han(), length // 2)),
    "half_width_marks": lambda length: ",".join(_cycled(seed_han(), length // 2)),
    "dots": lambda length: "." * length,
    "dashes": lambda length: "-" * length,
    "markup": lambda length: _cycled("#*", length),
    "line_breaks": lambda length: _cycled("字\n", length),
    "empty_lines": lambda length: "\n" * length,
    "spaces": lambda length: " " * length,
    "spaced_markup": lambda length: _cycled("* ", length),
    "wide_spaces": lambda length: _cycled("\u3000\t", length),
    "parentheses": lambda length: _cycled("中(", length),
    "ellipses": lambda length: _cycled("中…", length),
    "traditional": lambda length: _cycled("們說這個國家發展", length),
    "mixed_marks": lambda length: "".join(random.Random(length).choice("中文,. \n*#-—…()，。") for _ in range(length)),
    "latin": lambda length: "a" * length,
    "prose_repeated": lambda length: _cycled(seed_prose(), length),
    "sentence_repeated": lambda length: _cycled("今天我们在这里讨论工业领域的发展。", length),
}


def cpu_seconds(operation: Callable[[], object], repeat: int) -> float:
    """Median CPU time of ``repeat`` runs of ``operation`` (CPU, not wall time: other work on
    the machine slows a run's clock, not its count of cycles, much less)."""
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        operation()
        runs.append(time.process_time() - started)
    return statistics.median(runs)


def correction_seconds(text: str, witnesses: tuple[str, ...] = (), repeat: int = 3) -> float:
    """Median CPU seconds of `jiaokan.correct_text` on ``text`` with ``witnesses``."""
    from jiaokan import correct_text

    return cpu_seconds(lambda: correct_text(text, witnesses), repeat)


def doubling_ratios(seconds: list[float]) -> list[float | None]:
    """Each time over the one before it (None for the first, or after a time too small to divide by)."""
    return [None] + [round(later / earlier, 2) if earlier > 1e-4 else None for earlier, later in zip(seconds, seconds[1:])]


def warm_up() -> None:
    """Load the resources and build the rules' tables, so the first size pays nothing extra."""
    from jiaokan import correct_text

    correct_text(seed_prose()[:4000], [seed_prose()[:4000]])
    for make in KINDS.values():
        correct_text(make(1000))


def witness_texts(count: int, length: int) -> tuple[str, tuple[str, ...]]:
    """A text of ``length`` and ``count`` witnesses: each the same prose with one character in
    fifty changed (seeded), so every copy shares passages with every other."""
    text = _cycled(seed_prose(), length)
    han = seed_han()
    witnesses = []
    for index in range(count):
        generator = random.Random(index)
        characters = list(text)
        for position in generator.sample(range(length), length // 50):
            characters[position] = generator.choice(han)
        witnesses.append("".join(characters))
    return text, tuple(witnesses)


def measure_kind(kind: str, sizes: tuple[int, ...], repeat: int) -> dict:
    """Seconds and doubling ratios of one kind of text over ``sizes``."""
    seconds = [correction_seconds(KINDS[kind](size), repeat=repeat) for size in sizes]
    return {"sizes": list(sizes), "seconds": [round(value, 4) for value in seconds], "ratios": doubling_ratios(seconds)}


def main(argv: list[str] | None = None) -> dict:
    """Run the measurements, print a table, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; no 300k row, no witnesses row")
    parser.add_argument("--sizes", default=None, help="comma-separated lengths (default 8000,16000,32000,64000)")
    parser.add_argument("--kinds", default=None, help="comma-separated kinds (default: all): " + ", ".join(KINDS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--no-witnesses", action="store_true", help="leave out the 50 x 30k witnesses row (minutes)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here (- for standard output)")
    arguments = parser.parse_args(argv)
    sizes = tuple(int(size) for size in arguments.sizes.split(",")) if arguments.sizes else (QUICK_SIZES if arguments.quick else DEFAULT_SIZES)
    kinds = arguments.kinds.split(",") if arguments.kinds else list(KINDS)

    warm_up()
    results: dict = {"sizes": list(sizes), "repeat": arguments.repeat, "kinds": {}}
    print(f"{'kind':<20}" + "".join(f"{size:>10,}" for size in sizes) + "   doubling ratios")
    for kind in kinds:
        figures = results["kinds"][kind] = measure_kind(kind, sizes, arguments.repeat)
        print(f"{kind:<20}" + "".join(f"{value:>9.3f}s" for value in figures["seconds"])
              + "   " + " ".join("-" if ratio is None else f"{ratio:.2f}" for ratio in figures["ratios"]), flush=True)
    if not arguments.quick:
        seconds = correction_seconds(KINDS["repeated"](REPEATED_LENGTH), repeat=1)
        results["repeated_300k_seconds"] = round(seconds, 3)
        print(f"{REPEATED_LENGTH:,} repeated characters: {seconds:.3f}s", flush=True)
    if not arguments.quick and not arguments.no_witnesses:
        text, witnesses = witness_texts(WITNESS_COUNT, WITNESS_LENGTH)
        seconds = correction_seconds(text, witnesses, repeat=1)
        results["witnesses_seconds"] = {"count": WITNESS_COUNT, "length": WITNESS_LENGTH, "seconds": round(seconds, 3)}
        print(f"{WITNESS_COUNT} witnesses x {WITNESS_LENGTH:,} characters: {seconds:.3f}s", flush=True)
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main()
