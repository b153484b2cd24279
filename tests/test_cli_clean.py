"""`jiaokan clean` as a user runs it: a subprocess, its exit codes, its messages, its outputs."""
from __future__ import annotations

import codecs
import fcntl
import hashlib
import importlib.util
import json
import os
import pty
import struct
import termios
import subprocess
import sys
from pathlib import Path

import pytest

from jiaokan import correct_corpus

PAGES = {
    "issue-1/page-1.txt": "第一版,要闻\r\n".encode("gb18030"),
    "issue-1/page-2.txt": codecs.BOM_UTF16_LE + "第二版,经济\r\n".encode("utf-16-le"),
    "issue-2/sub/page-1.txt": codecs.BOM_UTF8 + "第三版,文化\r\n".encode("utf-8"),
    "issue-2/page-2.txt": "第四版".encode("utf-8"),
    "issue-2/empty.txt": b"",
    "issue-2/scan.tif": b"II*\x00\x08\x00\x00\x00",
}


def run_jiaokan(*arguments: str, stderr=subprocess.PIPE, environment: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiaokan.cli", *arguments],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=environment or os.environ.copy(),
        timeout=120,
    )


def make_inputs(root: Path) -> Path:
    for relative, data in PAGES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root


def tree_digest(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file()}


def test_clean_writes_utf8_outputs_and_leaves_inputs_alone(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    before = tree_digest(inputs)
    result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "no progress bar when stderr is not a terminal"
    assert "scan.tif" in result.stdout and "binary data" in result.stdout
    assert tree_digest(inputs) == before
    outputs = {path.relative_to(tmp_path / "out").as_posix() for path in (tmp_path / "out").rglob("*.txt")}
    assert outputs == {name for name in PAGES if name.endswith(".txt")}
    for name in outputs:
        data = (tmp_path / "out" / name).read_bytes()
        assert b"\r" not in data and not data.startswith(codecs.BOM_UTF8)
        data.decode("utf-8")
    # the texts are the engine's, run over the whole folder as one corpus, on the decoded inputs
    documents = {name: data.decode(encoding).replace("\r\n", "\n") for name, data, encoding in [
        ("issue-1/page-1.txt", PAGES["issue-1/page-1.txt"], "gb18030"),
        ("issue-1/page-2.txt", PAGES["issue-1/page-2.txt"], "utf-16"),
        ("issue-2/sub/page-1.txt", PAGES["issue-2/sub/page-1.txt"], "utf-8-sig"),
        ("issue-2/page-2.txt", PAGES["issue-2/page-2.txt"], "utf-8"),
        ("issue-2/empty.txt", PAGES["issue-2/empty.txt"], "utf-8"),
    ]}
    expected = correct_corpus(documents)
    for name, correction in expected.items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == correction.text
    assert (tmp_path / "out/issue-2/empty.txt").read_bytes() == b""
    summary = json.loads((tmp_path / "out/.jiaokan/summary.json").read_text(encoding="utf-8"))
    assert summary["skipped"] == [{"path": "issue-2/scan.tif", "reason": "binary data (NUL bytes)"}]
    assert summary["files"]["cleaned"] == 5


def test_force_redoes_finished_files(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    output = tmp_path / "out"
    assert run_jiaokan("clean", str(inputs), "-o", str(output), "--quiet").returncode == 0
    inode = (output / "issue-1/page-1.txt").stat().st_ino
    assert run_jiaokan("clean", str(inputs), "-o", str(output), "--quiet").returncode == 0
    assert (output / "issue-1/page-1.txt").stat().st_ino == inode, "a finished file is not rewritten"
    assert json.loads((output / ".jiaokan/summary.json").read_text())["files"]["reused"] == 5
    assert run_jiaokan("clean", str(inputs), "-o", str(output), "--quiet", "--force").returncode == 0
    assert (output / "issue-1/page-1.txt").stat().st_ino != inode, "--force rewrites every file"
    assert json.loads((output / ".jiaokan/summary.json").read_text())["files"]["cleaned_this_run"] == 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{tmp}/missing", "-o", "{tmp}/out"], "INPUT not found"),
        (["{tmp}/in", "-o", "{tmp}/in/out"], "inside INPUT"),
        (["{tmp}/in", "-o", "{tmp}/in"], "same as INPUT"),
        (["{tmp}/in", "-o", "{tmp}/out", "--disable", "no_such_rule"], "unknown rule"),
        (["{tmp}/in", "-o", "{tmp}/out", "--threshold", "7"], "threshold"),
        (["{tmp}/in", "-o", "{tmp}/out", "--workers", "0"], "--workers"),
    ],
)
def test_usage_errors_exit_2_with_a_message(tmp_path, arguments, message):
    make_inputs(tmp_path / "in")
    result = run_jiaokan("clean", *[argument.format(tmp=tmp_path) for argument in arguments])
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "in" / "out").exists()


def test_a_failed_file_gives_exit_1_and_is_named(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    (tmp_path / "out/issue-2/page-2.txt").mkdir(parents=True)  # blocks that output
    result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "failed" in result.stdout and "issue-2/page-2.txt" in result.stdout


def test_disable_and_threshold_reach_the_engine_config(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "a"), "--quiet")
    run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "b"), "--quiet", "--disable", "fix_lookalike", "--threshold", "0.5")
    fingerprint = lambda name: json.loads((tmp_path / name / ".jiaokan/summary.json").read_text())["config_fingerprint"]  # noqa: E731
    assert fingerprint("a") != fingerprint("b")


@pytest.mark.skipif(importlib.util.find_spec("jiaokan.store") is None, reason="no review store in this installation")
def test_review_loads_the_run_into_the_store_once(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    database = "sqlite:///" + str(tmp_path / "review.db")
    first = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--review", database, "--collection", "archive")
    assert first.returncode == 0, first.stderr
    assert "collection 'archive': 5 documents added" in first.stdout
    again = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--review", database, "--collection", "archive")
    assert again.returncode == 0 and "0 documents added, 0 replaced, 5 unchanged" in again.stdout


def test_review_with_an_unusable_database_url_is_refused_before_cleaning(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--review", "mysql://somewhere/db")
    assert result.returncode == 2 and "database_url" in result.stderr
    assert not (tmp_path / "out").exists()


def test_progress_bar_on_a_terminal(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--quiet", stderr=terminal)
        os.close(terminal)
        terminal = None
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if terminal is not None:
            os.close(terminal)
        os.close(controller)
    assert result.returncode == 0
    assert b"cleaning" in shown and b"files" in shown
