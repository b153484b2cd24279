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


@pytest.mark.parametrize("lines, columns", [(24, 100), (0, 0)], ids=["sized", "no-size-reported"])
def test_progress_bar_on_a_terminal(tmp_path, lines, columns):
    inputs = make_inputs(tmp_path / "in")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environment = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    try:
        result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--quiet", stderr=terminal, environment=environment)
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


def test_a_full_disk_stops_the_run_with_one_line_and_the_rest_finishes_on_resume(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    environment = os.environ | {"JIAOKAN_TEST_DISK_FULL_AFTER": "2"}
    stopped = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--workers", "2", environment=environment)
    assert stopped.returncode == 1
    assert "Traceback" not in stopped.stderr and len(stopped.stderr.strip().splitlines()) == 1
    assert "No space left on device" in stopped.stderr and "2 files cleaned and 3 not" in stopped.stderr
    assert "2 cleaned" in stopped.stdout  # the summary of what finished
    summary = json.loads((tmp_path / "out/.jiaokan/summary.json").read_text())
    assert summary["files"]["cleaned"] == 2 and "No space left on device" in summary["stopped"]
    assert not (tmp_path / "out/.jiaokan/lock").exists()

    resumed = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "whole"), "--quiet")
    assert whole.returncode == 0
    ignored = {".jiaokan/summary.json"}
    assert {path: digest for path, digest in tree_digest(tmp_path / "out").items() if path not in ignored} == {
        path: digest for path, digest in tree_digest(tmp_path / "whole").items() if path not in ignored}


def test_a_state_folder_that_cannot_be_made_is_one_line_and_exit_1(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    (tmp_path / "blocked").mkdir()
    (tmp_path / "blocked/.jiaokan").write_text("a file where the run's state folder should go")
    result = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "blocked"))
    assert result.returncode == 1
    assert result.stderr.startswith("jiaokan clean: cannot write") and "Traceback" not in result.stderr


def test_the_lock_is_gone_after_a_run_and_still_keeps_a_second_run_out(tmp_path):
    from jiaokan.batch.runner import _exclusive_lock
    from jiaokan.errors import InputError

    inputs = make_inputs(tmp_path / "in")
    assert run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--quiet").returncode == 0
    lock = tmp_path / "out/.jiaokan/lock"
    assert not lock.exists()
    with _exclusive_lock(lock):
        assert lock.exists()
        refused = run_jiaokan("clean", str(inputs), "-o", str(tmp_path / "out"), "--quiet")
        assert refused.returncode == 2 and "another jiaokan clean is writing" in refused.stderr
        with pytest.raises(InputError):
            with _exclusive_lock(lock):
                pass
    assert not lock.exists()


def test_a_run_that_locked_a_removed_lock_file_locks_the_new_one(tmp_path):
    """A run that opened the lock file just before the run holding it removed it (as it ended)
    must not count the removed file's lock as its own: a third run would lock the new file."""
    import fcntl as locks

    from jiaokan.batch import runner

    lock = tmp_path / "lock"
    stale = os.open(lock, os.O_RDWR | os.O_CREAT)  # opened by a run about to lose the race
    os.unlink(lock)  # the run that held it ended
    original_open = runner.os.open
    opened = []

    def open_stale_first(path, *arguments):
        opened.append(path)
        return os.dup(stale) if len(opened) == 1 else original_open(path, *arguments)

    runner.os.open = open_stale_first
    try:
        with runner._exclusive_lock(lock):
            assert len(opened) == 2 and lock.exists()  # it tried again, on the file now at the path
            third = os.open(lock, os.O_RDWR)
            with pytest.raises(BlockingIOError):
                locks.flock(third, locks.LOCK_EX | locks.LOCK_NB)
            os.close(third)
    finally:
        runner.os.open = original_open
        os.close(stale)


def _run_with_closed_output(*arguments: str) -> subprocess.CompletedProcess:
    """Run jiaokan with standard output a pipe nobody reads any more (``| head`` after it quit)."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        return subprocess.run([sys.executable, "-m", "jiaokan.cli", *arguments], stdout=writing, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(writing)


def test_a_closed_pipe_ends_clean_and_eval_quietly(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    cleaned = _run_with_closed_output("clean", str(inputs), "-o", str(tmp_path / "out"))
    assert cleaned.stderr == "" and cleaned.returncode == 0  # the work is done; only its table had no reader
    (tmp_path / "gold.txt").write_text("第一版，要闻\n" * 50, encoding="utf-8")
    (tmp_path / "read.txt").write_text("第一版，要问\n" * 50, encoding="utf-8")
    evaluated = _run_with_closed_output("eval", str(tmp_path / "gold.txt"), str(tmp_path / "read.txt"))
    assert evaluated.stderr == "" and evaluated.returncode == 141
