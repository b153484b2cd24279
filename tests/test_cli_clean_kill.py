"""A run over 48 files killed with SIGKILL and started again ends with the bytes of an uninterrupted run.

The command runs as a subprocess. One kill is deterministic (the
``JIAOKAN_TEST_KILL_AFTER`` hook kills the process after 17 documents, with the 18th
document's text sitting in its temporary file); the others land at random moments
(``JIAOKAN_TEST_DELAY`` slows the run down so they fall inside it). Every restart must
finish only the rest, leave no temporary files, and match the reference byte for byte.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
FILE_COUNT = 48
#: per-file outputs compared byte for byte; the summary has timestamps and the lock is just a lock
NOT_COMPARED = {".jiaokan/summary.json", ".jiaokan/lock"}


def make_corpus(root: Path) -> Path:
    """48 pages in nested folders and mixed encodings; many share passages (witnesses), as issues of a paper do."""
    paragraphs = [
        paragraph.strip()
        for path in sorted(SEEDS.glob("*.txt"))
        for paragraph in path.read_text(encoding="utf-8").split("\n")
        if len(paragraph.strip()) >= 30
    ]
    generator = random.Random(48)
    encoders = [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: text.replace("\n", "\r\n").encode("gb18030"),
    ]
    for index in range(FILE_COUNT):
        chosen = generator.sample(paragraphs, k=min(3, len(paragraphs)))
        text = "\n\n".join(paragraph[:400] for paragraph in chosen) + "\n"
        path = root / f"volume-{index % 3}" / f"issue-{index % 5}" / f"page-{index:02d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encoders[index % len(encoders)](text))
    (root / "volume-0" / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    return root


def command(inputs: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "jiaokan.cli", "clean", str(inputs), "-o", str(output), "--workers", "2", "--quiet"]


def environment(**hooks: str) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith("JIAOKAN_TEST_")}
    return base | hooks


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() not in NOT_COMPARED
    }


def temporaries(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.name.startswith(".jiaokan-tmp-"))


def summary(output: Path) -> dict:
    return json.loads((output / ".jiaokan/summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus") / "pages")


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """The uninterrupted run, and how long it took."""
    output = tmp_path_factory.mktemp("reference") / "out"
    started = time.monotonic()
    finished = subprocess.run(command(corpus, output), env=environment(), capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert summary(output)["files"] == {"cleaned": FILE_COUNT, "cleaned_this_run": FILE_COUNT, "reused": 0, "skipped": 1, "failed": 0}
    return output, time.monotonic() - started


def test_kill_after_17_files_then_restart_gives_the_same_bytes(corpus, reference, tmp_path):
    reference_output, _seconds = reference
    inputs_before = tree_digest(corpus)
    output = tmp_path / "out"

    killed = subprocess.run(command(corpus, output), env=environment(JIAOKAN_TEST_KILL_AFTER="17"), capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert len(temporaries(output)) == 1, "killed between writing the 18th text and renaming it"
    assert len((output / ".jiaokan/manifest.jsonl").read_text(encoding="utf-8").splitlines()) == 17

    restarted = subprocess.run(command(corpus, output), env=environment(), capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    files = summary(output)["files"]
    assert (files["reused"], files["cleaned_this_run"]) == (17, FILE_COUNT - 17), "finished files are not redone"
    assert summary(output)["stale_temporaries_removed"] == 1
    assert temporaries(output) == []
    assert tree_digest(output) == tree_digest(reference_output)
    assert tree_digest(corpus) == inputs_before, "inputs must never change"


def manifest_lines(output: Path) -> int:
    try:
        return len((output / ".jiaokan/manifest.jsonl").read_bytes().splitlines())
    except FileNotFoundError:
        return 0


def test_kills_at_random_moments_then_restart_give_the_same_bytes(corpus, reference, tmp_path):
    """One kill anywhere in the run (start-up included), one while documents are being written."""
    reference_output, reference_seconds = reference
    output = tmp_path / "out"
    generator = random.Random()  # a different moment every time; the moments are in the failure messages
    delay = 0.05  # per document, so the window where documents are written is wide enough to hit
    moments = []
    for while_writing in (False, True):
        process = subprocess.Popen(command(corpus, output), env=environment(JIAOKAN_TEST_DELAY=str(delay)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if while_writing:
            already = manifest_lines(output)
            while process.poll() is None and manifest_lines(output) <= already:
                time.sleep(0.01)  # wait for the first document of this run to be written
            moment = generator.uniform(0.0, (FILE_COUNT - already) * delay)
        else:
            moment = generator.uniform(0.0, reference_seconds)
        moments.append(round(moment, 3))
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
    restarted = subprocess.run(command(corpus, output), env=environment(), capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, (moments, restarted.stderr)
    assert temporaries(output) == [], moments
    assert tree_digest(output) == tree_digest(reference_output), f"killed at {moments} s"

    forced = subprocess.run([*command(corpus, output), "--force"], env=environment(), capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert summary(output)["files"]["cleaned_this_run"] == FILE_COUNT, "--force redoes every file"
    assert tree_digest(output) == tree_digest(reference_output)
