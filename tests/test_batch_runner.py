"""`clean_folder` end to end in-process, with a small deterministic stand-in engine.

The stand-in widens ASCII commas (confident: applied) and colons (unsure: proposed), and
reports documents in reverse order, so these tests check the runner's own promises:
what it gives the engine, what it writes, what it keeps on a resumed run.
"""
from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import pytest

import jiaokan
from jiaokan.batch import CleanRequest, clean_folder
from jiaokan.config import EngineConfig
from jiaokan.edits import Edit
from jiaokan.result import Correction


class StandInEngine:
    """Records what it was asked; may fail after a number of documents."""

    def __init__(self, fail_after: int | None = None, skip: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[list[str], list[str]]] = []
        self.fail_after = fail_after
        self.skip = skip

    def __call__(self, documents, *, config, only=None, workers=1, progress=None, prepare=None, scheduler=None):
        names = sorted(only if only is not None else documents)
        self.calls.append((sorted(documents), names))
        results = {}
        for count, name in enumerate(reversed(names)):
            if self.fail_after is not None and count == self.fail_after:
                raise RuntimeError("simulated crash")
            text = documents[name]
            edits = [Edit(i, i + 1, ",", "，", "widen_punctuation", "normalisation", 0.95) for i, c in enumerate(text) if c == ","]
            edits += [Edit(i, i + 1, ":", "：", "widen_punctuation", "normalisation", 0.5) for i, c in enumerate(text) if c == ":"]
            results[name] = Correction.from_edits(name, text, sorted(edits), config)
            if prepare is not None:
                results[name] = prepare(results[name])
            if progress and name not in self.skip:
                progress(name, results[name])
        return results


@pytest.fixture
def engine(monkeypatch):
    stand_in = StandInEngine()
    monkeypatch.setattr(jiaokan, "correct_corpus", stand_in)
    return stand_in


INPUTS = {
    "page-utf8.txt": "北京,今天:晴\n".encode("utf-8"),
    "nested/deeper/page-gb.txt": "国家发展,改革\r\n委员会:通知\r\n".encode("gb18030"),
    "nested/page-utf16.txt": codecs.BOM_UTF16_LE + "第二页,内容\r\n".encode("utf-16-le"),
    "nested/page-bom.txt": codecs.BOM_UTF8 + "带BOM的,页面\r".encode("utf-8"),
    "empty.txt": b"",
    "scan.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
}
EXPECTED_TEXTS = {
    "page-utf8.txt": "北京，今天:晴\n",
    "nested/deeper/page-gb.txt": "国家发展，改革\n委员会:通知\n",
    "nested/page-utf16.txt": "第二页，内容\n",
    "nested/page-bom.txt": "带BOM的，页面\n",
    "empty.txt": "",
}


def make_inputs(root: Path, files: dict[str, bytes] = INPUTS) -> Path:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root


def tree_digest(root: Path, *, ignore: tuple[str, ...] = (".jiaokan/summary.json", ".jiaokan/lock")) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() not in ignore
    }


def clean(inputs: Path, output: Path, **options) -> dict:
    return clean_folder(CleanRequest(inputs=(inputs,), output=output, **options)).summary


def test_outputs_are_clean_utf8_at_the_same_relative_paths(tmp_path, engine):
    inputs = make_inputs(tmp_path / "in")
    before = tree_digest(inputs)
    summary = clean(inputs, tmp_path / "out")
    assert tree_digest(inputs) == before, "inputs must never change"
    for relative, expected in EXPECTED_TEXTS.items():
        data = (tmp_path / "out" / relative).read_bytes()
        assert data == expected.encode("utf-8")
        assert not data.startswith(codecs.BOM_UTF8) and b"\r" not in data
    assert not (tmp_path / "out" / "scan.png").exists()
    assert summary["skipped"] == [{"path": "scan.png", "reason": "binary data (NUL bytes)"}]
    assert summary["files"] == {"cleaned": 5, "cleaned_this_run": 5, "reused": 0, "skipped": 1, "failed": 0}
    assert summary["edits"]["by_rule"] == {"widen_punctuation": {"applied": 4, "proposed": 2}}
    assert summary["encodings"] == {"empty": 1, "gb18030": 1, "utf-16-le with BOM": 1, "utf-8": 1, "utf-8 with BOM": 1}


def test_edits_file_holds_each_edit_with_its_status(tmp_path, engine):
    clean(make_inputs(tmp_path / "in"), tmp_path / "out")
    lines = (tmp_path / "out/.jiaokan/edits/nested/deeper/page-gb.txt.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(record["start"], record["replacement"], record["status"]) for record in records] == [(4, "，", "applied"), (11, "：", "proposed")]
    original = "国家发展,改革\n委员会:通知\n"
    assert jiaokan.apply_edits(original, [Edit.from_dict(record) for record in records]) == "国家发展，改革\n委员会：通知\n"
    assert (tmp_path / "out/.jiaokan/edits/empty.txt.jsonl").read_bytes() == b""


def test_engine_sees_the_whole_folder_and_a_resumed_run_asks_only_for_the_rest(tmp_path, monkeypatch):
    inputs = make_inputs(tmp_path / "in")
    crashing = StandInEngine(fail_after=2)
    monkeypatch.setattr(jiaokan, "correct_corpus", crashing)
    first = clean(inputs, tmp_path / "out")
    assert first["files"]["cleaned"] == 2
    assert {entry["reason"] for entry in first["failed"]} == {"engine error: RuntimeError: simulated crash"}
    assert len(first["failed"]) == 3

    resumed = StandInEngine()
    monkeypatch.setattr(jiaokan, "correct_corpus", resumed)
    second = clean(inputs, tmp_path / "out")
    all_texts = sorted(EXPECTED_TEXTS)
    assert crashing.calls == [(all_texts, all_texts)]
    finished_first = sorted(all_texts)[-2:]  # the stand-in reports in reverse order
    assert resumed.calls == [(all_texts, sorted(set(all_texts) - set(finished_first)))]
    assert second["files"] == {"cleaned": 5, "cleaned_this_run": 3, "reused": 2, "skipped": 1, "failed": 0}

    clean(inputs, tmp_path / "reference")
    assert tree_digest(tmp_path / "out") == tree_digest(tmp_path / "reference")


def test_finished_run_is_not_redone_unless_forced(tmp_path, engine):
    inputs = make_inputs(tmp_path / "in")
    clean(inputs, tmp_path / "out")
    again = clean(inputs, tmp_path / "out")
    assert again["files"]["reused"] == 5 and engine.calls[-1][1] == sorted(EXPECTED_TEXTS)
    assert len(engine.calls) == 1, "nothing to do: the engine is not called"
    forced = clean(inputs, tmp_path / "out", force=True)
    assert forced["files"]["cleaned_this_run"] == 5 and len(engine.calls) == 2


def test_a_damaged_output_is_redone(tmp_path, engine):
    inputs = make_inputs(tmp_path / "in")
    clean(inputs, tmp_path / "out")
    reference = tree_digest(tmp_path / "out")
    (tmp_path / "out/nested/page-bom.txt").write_text("truncated", encoding="utf-8")
    (tmp_path / "out/.jiaokan/edits/page-utf8.txt.jsonl").unlink()
    summary = clean(inputs, tmp_path / "out")
    assert engine.calls[-1][1] == ["nested/page-bom.txt", "page-utf8.txt"]
    assert summary["files"]["cleaned_this_run"] == 2
    assert tree_digest(tmp_path / "out") == reference


def test_a_changed_config_or_folder_redoes_everything(tmp_path, engine):
    inputs = make_inputs(tmp_path / "in")
    clean(inputs, tmp_path / "out")
    clean(inputs, tmp_path / "out", config=EngineConfig.from_options({"auto_apply_threshold": 0.4}))
    assert engine.calls[-1][1] == sorted(EXPECTED_TEXTS)
    assert (tmp_path / "out/page-utf8.txt").read_text(encoding="utf-8") == "北京，今天：晴\n"
    (inputs / "new.txt").write_text("新页", encoding="utf-8")
    clean(inputs, tmp_path / "out", config=EngineConfig.from_options({"auto_apply_threshold": 0.4}))
    assert engine.calls[-1][1] == sorted([*EXPECTED_TEXTS, "new.txt"]), "new witnesses can change every file"


def test_an_unwritable_output_fails_that_file_only(tmp_path, engine):
    inputs = make_inputs(tmp_path / "in")
    (tmp_path / "out" / "page-utf8.txt").mkdir(parents=True)  # a folder where the output file should go
    result = clean_folder(CleanRequest(inputs=(inputs,), output=tmp_path / "out"))
    assert result.failed
    assert [entry["path"] for entry in result.summary["failed"]] == ["page-utf8.txt"]
    assert "cannot write" in result.summary["failed"][0]["reason"]
    assert result.summary["files"]["cleaned"] == 4
    assert not [path for path in (tmp_path / "out").rglob("*.part")]


def test_a_document_the_engine_never_reports_is_failed(tmp_path, monkeypatch):
    monkeypatch.setattr(jiaokan, "correct_corpus", StandInEngine(skip=frozenset({"empty.txt"})))
    summary = clean(make_inputs(tmp_path / "in"), tmp_path / "out")
    assert summary["failed"] == [{"path": "empty.txt", "reason": "the engine returned no result"}]


def test_worker_count_does_not_change_outputs(tmp_path):
    # the real engine entry point (whatever stage it is at), with 1 and 2 workers
    inputs = make_inputs(tmp_path / "in")
    clean(inputs, tmp_path / "one", workers=1)
    clean(inputs, tmp_path / "two", workers=2)
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


def test_manifest_records_round_trip_every_field():
    from dataclasses import fields

    from jiaokan.batch.manifest import FinishedFile

    record = FinishedFile("a/b.txt", "1" * 64, "c" * 16, "d" * 16, "gb18030", 10, 9, "2" * 64, "3" * 64, {"fix_lookalike": {"applied": 1, "proposed": 2}})
    data = record.to_dict()
    assert set(data) == {field.name for field in fields(FinishedFile)}
    assert FinishedFile.from_dict(json.loads(json.dumps(data))) == record
