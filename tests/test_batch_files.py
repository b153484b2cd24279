"""The file-level parts of a folder run: discovery, atomic writes, the manifest."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from jiaokan.batch.atomic import TEMPORARY_PREFIX, is_temporary, remove_stale_temporaries, write_atomically
from jiaokan.batch.discovery import check_locations, discover_inputs
from jiaokan.batch.layout import OutputLayout
from jiaokan.batch.manifest import FinishedFile, Manifest
from jiaokan.errors import InputError


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


# discovery -----------------------------------------------------------------------------------

def test_one_folder_gives_paths_relative_to_it_sorted(tmp_path):
    root = make_tree(tmp_path / "in", {"b/2.txt": b"x", "a/c/1.txt": b"y", "z.txt": b"", "b/1.txt": b"w"})
    discovery = discover_inputs([root])
    assert [entry.relative_path for entry in discovery.files] == ["a/c/1.txt", "b/1.txt", "b/2.txt", "z.txt"]
    assert discovery.skipped == ()


def test_hidden_entries_and_directory_links_are_skipped_with_reasons(tmp_path):
    root = make_tree(tmp_path / "in", {"page.txt": b"x", ".DS_Store": b"y", ".git/objects/1": b"z"})
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "alias.txt").symlink_to(root / "page.txt")
    discovery = discover_inputs([root])
    assert [entry.relative_path for entry in discovery.files] == ["alias.txt", "page.txt"]
    reasons = {entry.relative_path: entry.reason for entry in discovery.skipped}
    assert set(reasons) == {".DS_Store", ".git", "loop"}
    assert "hidden" in reasons[".git"] and "link" in reasons["loop"]


def test_several_inputs_keep_their_own_names(tmp_path):
    first = make_tree(tmp_path / "first", {"a.txt": b"1"})
    second = make_tree(tmp_path / "second", {"sub/a.txt": b"2"})
    single = make_tree(tmp_path / "loose", {"note.txt": b"3"}) / "note.txt"
    discovery = discover_inputs([first, second, single])
    assert [entry.relative_path for entry in discovery.files] == ["first/a.txt", "note.txt", "second/sub/a.txt"]


def test_two_inputs_with_the_same_name_are_refused(tmp_path):
    one = make_tree(tmp_path / "x" / "pages", {"a.txt": b"1"})
    two = make_tree(tmp_path / "y" / "pages", {"a.txt": b"2"})
    with pytest.raises(InputError, match="same path"):
        discover_inputs([one, two])


@pytest.mark.parametrize("output", ["in", "in/out", "in/deeper/out"])
def test_output_overlapping_input_is_refused(tmp_path, output):
    make_tree(tmp_path / "in", {"deeper/a.txt": b"1"})
    with pytest.raises(InputError, match="OUTPUT"):
        check_locations([tmp_path / "in"], tmp_path / output)


def test_input_inside_output_is_refused(tmp_path):
    make_tree(tmp_path / "out" / "in", {"a.txt": b"1"})
    with pytest.raises(InputError, match="inside OUTPUT"):
        check_locations([tmp_path / "out" / "in"], tmp_path / "out")


def test_missing_input_is_refused(tmp_path):
    with pytest.raises(InputError, match="not found"):
        check_locations([tmp_path / "missing"], tmp_path / "out")


# atomic writes -------------------------------------------------------------------------------

def test_atomic_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "file.txt"
    write_atomically(target, b"first")
    write_atomically(target, b"second", durable=False)
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.txt"]


def test_failed_write_keeps_the_old_bytes_and_no_temporary(tmp_path):
    target = tmp_path / "file.txt"
    write_atomically(target, b"old")

    def fail(temporary: Path) -> None:
        assert temporary.read_bytes() == b"new" and is_temporary(temporary.name)
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, b"new", before_replace=fail)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.txt"]


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    make_tree(tmp_path, {f"a/{TEMPORARY_PREFIX}x1.part": b"", f"b/c/{TEMPORARY_PREFIX}x2.part": b"", "a/keep.txt": b"k",
                         f"a/{TEMPORARY_PREFIX}looks-similar.txt": b"k"})
    removed = remove_stale_temporaries(tmp_path)
    assert [path.name for path in removed] == [f"{TEMPORARY_PREFIX}x1.part", f"{TEMPORARY_PREFIX}x2.part"]
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == [f"{TEMPORARY_PREFIX}looks-similar.txt", "keep.txt"]


# manifest ------------------------------------------------------------------------------------

def record(path: str, digest: str = "0" * 64) -> FinishedFile:
    return FinishedFile(path, digest, "config", "corpus", "utf-8", 3, 3, "t", "e", {"widen_punctuation": {"applied": 1, "proposed": 2}})


def test_manifest_round_trips_and_last_record_wins(tmp_path):
    manifest = Manifest(tmp_path / "manifest.jsonl")
    manifest.append(record("b.txt"))
    manifest.append(record("a.txt"))
    manifest.append(record("b.txt", "1" * 64))
    loaded = manifest.load()
    assert loaded == {"a.txt": record("a.txt"), "b.txt": record("b.txt", "1" * 64)}


def test_manifest_ignores_a_torn_last_line_and_rewrite_drops_it(tmp_path):
    manifest = Manifest(tmp_path / "manifest.jsonl")
    manifest.append(record("a.txt"))
    with open(manifest.path, "ab") as stream:
        stream.write(b'{"relative_path": "b.txt", "input_sha')
    assert list(manifest.load()) == ["a.txt"]
    manifest.rewrite(manifest.load().values())
    manifest.append(record("c.txt"))
    assert list(manifest.load()) == ["a.txt", "c.txt"]


def test_layout_puts_edits_under_the_state_folder(tmp_path):
    layout = OutputLayout(tmp_path)
    assert layout.text("a/b.txt") == tmp_path / "a" / "b.txt"
    assert layout.edits("a/b.txt") == tmp_path / ".jiaokan" / "edits" / "a" / "b.txt.jsonl"
