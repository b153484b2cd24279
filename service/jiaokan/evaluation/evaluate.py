"""`evaluate(gold, predicted, ...)`: the plain function behind `jiaokan eval`.

GOLD and PRED are two files, or two folders whose files are matched by relative path (hidden
files and folders such as ``.jiaokan/`` are skipped). Every file must be UTF-8 (a BOM is
allowed) and every path must have its partner; otherwise `InputError` says which.

With ``edits`` (a run's edit records: a folder of ``<relpath>.jsonl``, the batch's
``OUTPUT/.jiaokan/edits`` — the OUTPUT folder itself is accepted — or one ``.jsonl`` file when
GOLD is a file) and ``noisy`` (the input the run corrected), the edits themselves are judged:
see `jiaokan.evaluation.edit_quality`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from jiaokan.errors import InputError
from jiaokan.evaluation.cer import CharacterErrors, measure
from jiaokan.evaluation.edit_quality import EditCounts, judge_edits, read_edit_records


@dataclass
class FileResult:
    """One matched pair of files."""

    name: str
    gold: str
    predicted: str
    errors: CharacterErrors
    #: "applied" and "all" (applied + proposed) edit counts, when edits were given
    edits: dict[str, EditCounts] = field(default_factory=dict)


@dataclass
class Evaluation:
    """Per-file results and their totals."""

    files: list[FileResult]
    fold_width: bool = True
    fold_whitespace: bool = True

    @property
    def total(self) -> CharacterErrors:
        total = CharacterErrors()
        for result in self.files:
            total += result.errors
        return total

    def edit_totals(self) -> dict[str, EditCounts]:
        totals: dict[str, EditCounts] = {}
        for result in self.files:
            for scope, counts in result.edits.items():
                totals[scope] = totals.get(scope, EditCounts()) + counts
        return totals

    def to_dict(self, top: int = 20) -> dict:
        """One JSON-ready object; its top-level ``cer`` is the overall character error rate."""
        data = self.total.to_dict(top) | {
            "files": [{"name": result.name} | _without_confusions(result.errors.to_dict(0))
                      | ({"edits": {scope: counts.to_dict() for scope, counts in result.edits.items()}}
                         if result.edits else {})
                      for result in self.files],
            "fold_width": self.fold_width,
            "fold_whitespace": self.fold_whitespace,
            "unit": "extended grapheme clusters (NFC)",
        }
        totals = self.edit_totals()
        if totals:
            data["edits"] = {scope: counts.to_dict() for scope, counts in totals.items()}
        return data


def _without_confusions(data: dict) -> dict:
    data.pop("confusions", None)
    return data


def read_text(path: Path) -> str:
    """A UTF-8 file's text; `InputError` if it is missing or not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as error:
        raise InputError(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}: {error.reason})") from error
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from error


def _visible_files(folder: Path) -> dict[str, Path]:
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = path
    return files


def pair_paths(gold: Path, predicted: Path) -> list[tuple[str, Path, Path]]:
    """(name, gold file, predicted file) for two files or two folders matched by relative path."""
    for path in (gold, predicted):
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
    if gold.is_file() and predicted.is_file():
        return [(gold.name, gold, predicted)]
    if gold.is_dir() != predicted.is_dir():
        raise InputError(f"{gold} and {predicted} must both be files or both be folders")
    gold_files, predicted_files = _visible_files(gold), _visible_files(predicted)
    missing = sorted(set(gold_files) - set(predicted_files))
    extra = sorted(set(predicted_files) - set(gold_files))
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"{len(missing)} gold file(s) without a prediction in {predicted}: {', '.join(missing[:5])}")
        if extra:
            problems.append(f"{len(extra)} predicted file(s) without gold in {gold}: {', '.join(extra[:5])}")
        raise InputError("unmatched paths: " + "; ".join(problems))
    if not gold_files:
        raise InputError(f"{gold}: no files to compare")
    return [(name, gold_files[name], predicted_files[name]) for name in sorted(gold_files)]


def _edits_file(edits: Path, name: str, single: bool) -> Path | None:
    if edits.is_file():
        if not single:
            raise InputError(f"{edits} is one file, but GOLD is a folder: give the folder of edit records")
        return edits
    folder = edits / ".jiaokan" / "edits" if (edits / ".jiaokan" / "edits").is_dir() else edits
    candidate = folder / f"{name}.jsonl"
    return candidate if candidate.exists() else None


def _noisy_file(noisy: Path, name: str, single: bool) -> Path:
    if noisy.is_file():
        if not single:
            raise InputError(f"{noisy} is one file, but GOLD is a folder: give the folder of noisy inputs")
        return noisy
    path = noisy / name
    if not path.is_file():
        raise InputError(f"{path}: no noisy input for {name}")
    return path


def evaluate(
    gold: str | Path,
    predicted: str | Path,
    *,
    fold_width: bool = True,
    fold_whitespace: bool = True,
    edits: str | Path | None = None,
    noisy: str | Path | None = None,
) -> Evaluation:
    """Compare PRED with GOLD (files or folders); with ``edits`` and ``noisy``, judge the edits too."""
    if (edits is None) != (noisy is None):
        raise InputError("edits are judged against the input they were made on: give both edits and noisy")
    pairs = pair_paths(Path(gold), Path(predicted))
    single = len(pairs) == 1 and Path(gold).is_file()
    options = {"fold_width": fold_width, "fold_whitespace": fold_whitespace}
    if edits is not None:
        for path in (Path(edits), Path(noisy)):
            if not path.exists():
                raise InputError(f"{path}: no such file or folder")
    results = []
    for name, gold_path, predicted_path in pairs:
        gold_text, predicted_text = read_text(gold_path), read_text(predicted_path)
        result = FileResult(name, gold_text, predicted_text, measure(gold_text, predicted_text, **options))
        if edits is not None:
            noisy_text = read_text(_noisy_file(Path(noisy), name, single))
            records_path = _edits_file(Path(edits), name, single)
            records = read_edit_records(read_text(records_path).splitlines()) if records_path else []
            applied = [edit for edit, status in records if status == "applied"]
            result.edits = {
                "applied": judge_edits(gold_text, noisy_text, applied, **options),
                "all": judge_edits(gold_text, noisy_text, [edit for edit, _ in records], **options),
            }
        results.append(result)
    return Evaluation(results, fold_width, fold_whitespace)


def evaluate_texts(pairs: Mapping[str, tuple[str, str]], *, fold_width: bool = True,
                   fold_whitespace: bool = True) -> Evaluation:
    """The same for texts in memory: name -> (gold, predicted)."""
    options = {"fold_width": fold_width, "fold_whitespace": fold_whitespace}
    return Evaluation(
        [FileResult(name, gold, predicted, measure(gold, predicted, **options))
         for name, (gold, predicted) in sorted(pairs.items())],
        fold_width, fold_whitespace,
    )
