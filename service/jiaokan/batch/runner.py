"""A folder run: read every input, correct the corpus, write each file's outputs as it finishes.

`clean_folder` is the plain function behind ``jiaokan clean`` (tests call it directly).
Its steps, each resumable:

1. refuse overlapping or missing locations; lock OUTPUT; delete temporaries a killed run left;
2. find the input files and decode each one (skipping what is not text, with the reason);
3. compare with the manifest: files finished by an earlier run with the same input bytes,
   configuration and corpus, whose outputs are still intact, are kept; the rest are to do
   (everything with ``force``);
4. give the engine *all* decoded documents — witnesses come from the whole folder — and
   restrict ``only=`` to the files to do; as each document finishes (the engine's progress
   callback, in this process) write its text and edits atomically, then record it in the
   manifest, so a kill loses at most the documents in flight;
5. rewrite the manifest in order and write the summary.

Outputs depend only on the inputs and the configuration — not on worker count, order
or restarts — so a run killed at any moment and started again ends with the same bytes
as one that was never interrupted.

A write that every later write would repeat (a full disk, a read-only or failing file
system: `STOPPING_ERRORS`) stops the run: the engine is stopped, what finished stays
recorded, and the result says why it stopped (`CleanResult.stopped`); the lock file goes
with every run that ends, finished or not.
"""
from __future__ import annotations

import errno
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from jiaokan.batch.atomic import remove_stale_temporaries, write_atomically
from jiaokan.batch.discovery import SkippedFile, check_locations, discover_inputs
from jiaokan.batch.encoding import NotTextError, decode_bytes
from jiaokan.batch.faults import FaultInjection
from jiaokan.batch.layout import OutputLayout
from jiaokan.batch.manifest import FinishedFile, Manifest, canonical_json, sha256_hex
from jiaokan.batch.progress import ProgressBar
from jiaokan.batch.summary import RunFacts, build_summary, jiaokan_version
from jiaokan.config import DEFAULT_CONFIG, EngineConfig
from jiaokan.errors import InputError, JiaokanError, OutputError
from jiaokan.result import Correction


@dataclass(frozen=True)
class CleanRequest:
    """What to clean, where to, and how."""

    inputs: tuple[Path, ...]
    output: Path
    config: EngineConfig = DEFAULT_CONFIG
    workers: int = 1
    force: bool = False
    show_progress: bool = False
    #: fsync every output as it is written (slow on most disks; without it the manifest's
    #: hash check still catches outputs a power cut lost, and the run ends with a sync)
    fsync_each_file: bool = False
    faults: FaultInjection = field(default_factory=FaultInjection)
    #: a Dask distributed scheduler's address (``tcp://host:8786``) or a `distributed.Client`:
    #: the engine runs on its workers (`jiaokan.runners.dask`); None runs it here
    scheduler: Any = None


@dataclass(frozen=True)
class SourceDocument:
    """A decoded input file."""

    relative_path: str
    text: str
    encoding: str
    input_sha256: str
    size: int


@dataclass(frozen=True)
class CleanResult:
    """The summary of a run (as written to summary.json) and where it is."""

    summary: dict[str, Any]
    #: where the summary was written (None: it could not be)
    summary_path: Path | None
    #: decoded input text of every finished file, by relative path (what its edits' offsets refer to)
    originals: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: why the run stopped before its end (one line), or None
    stopped: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.summary["failed"])


def clean_folder(request: CleanRequest) -> CleanResult:
    """Run the cleaning described by ``request``; see the module docstring for the steps."""
    started_at = _now()
    clock = time.perf_counter()
    check_locations(request.inputs, request.output)
    layout = OutputLayout(request.output)
    with _stopping_on_output_errors(layout.state):
        layout.state.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(layout.lock):
        with _stopping_on_output_errors(layout.root):
            stale = remove_stale_temporaries(layout.root)
        sources, skipped, failed = _read_inputs(request)
        reading_seconds = time.perf_counter() - clock

        config_fingerprint = _config_fingerprint(request.config)
        corpus_fingerprint = _corpus_fingerprint(sources.values())
        manifest = Manifest(layout.manifest)
        finished = {} if request.force else _still_finished(manifest.load(), sources, layout, config_fingerprint, corpus_fingerprint)
        with _stopping_on_output_errors(layout.manifest):
            manifest.rewrite(finished.values())
        pending = sorted(set(sources) - set(finished))

        writer = _DocumentWriter(request, layout, manifest, sources, config_fingerprint, corpus_fingerprint)
        engine_clock = time.perf_counter()
        writer.run(pending)
        cleaning_seconds = time.perf_counter() - engine_clock

        finished.update(writer.finished)
        failed.extend(writer.failed)
        stopped = str(writer.stopped) if writer.stopped is not None else None
        try:
            manifest.rewrite(finished.values())
        except OSError as error:
            # the records appended as files finished stay (a resumed run reads them)
            stopped = stopped or str(_output_error(error, layout.manifest))
            manifest.close()
        _sync()
        facts = RunFacts(
            inputs=tuple(str(path) for path in request.inputs),
            output=str(request.output),
            finished=finished,
            cleaned_this_run=frozenset(writer.finished),
            skipped=tuple(skipped),
            failed=tuple(sorted(failed)),
            config_fingerprint=config_fingerprint,
            corpus_fingerprint=corpus_fingerprint,
            workers=request.workers,
            stale_temporaries_removed=len(stale),
            bytes_this_run=sum(sources[path].size for path in writer.finished),
            started_at=started_at,
            finished_at=_now(),
            seconds={"reading": reading_seconds, "cleaning": cleaning_seconds, "total": time.perf_counter() - clock},
        )
        summary = build_summary(facts)
        if stopped is not None:
            summary["stopped"] = stopped
        text = (canonical_json(summary) + "\n").encode("utf-8")
        summary_path: Path | None = layout.summary
        try:
            write_atomically(layout.summary, text, durable=True)
        except OSError as error:
            stopped, summary_path = stopped or str(_output_error(error, layout.summary)), None
    originals = {path: sources[path].text for path in sorted(finished)}
    return CleanResult(summary=summary, summary_path=summary_path, originals=originals, stopped=stopped)


#: errors of a write that every later write would meet too: the run stops at the first
STOPPING_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def _output_error(error: OSError, path: str | os.PathLike) -> OutputError:
    """A one-line `OutputError` for ``error``, met writing ``path``."""
    return OutputError(f"cannot write {error.filename or os.fspath(path)}: {error.strerror or error}")


@contextmanager
def _stopping_on_output_errors(path: Path) -> Iterator[None]:
    """Any OSError inside becomes an `OutputError` naming ``path`` (setting up the output
    folder: nothing can be done without it)."""
    try:
        yield
    except OSError as error:
        raise _output_error(error, path) from None


def _read_inputs(request: CleanRequest) -> tuple[dict[str, SourceDocument], list[SkippedFile], list[SkippedFile]]:
    """Decode every input file; not-text files are skipped, unreadable ones failed."""
    discovery = discover_inputs(request.inputs)
    sources: dict[str, SourceDocument] = {}
    skipped = list(discovery.skipped)
    failed: list[SkippedFile] = []
    with ProgressBar("reading", total=len(discovery.files), unit="file", total_files=len(discovery.files), enabled=request.show_progress) as bar:
        for entry in discovery.files:
            try:
                data = _read_file(entry.path)
            except OSError as error:
                failed.append(SkippedFile(entry.relative_path, f"cannot read: {error.strerror or error}"))
                bar.advance(1)
                continue
            try:
                decoded = decode_bytes(data)
            except NotTextError as error:
                skipped.append(SkippedFile(entry.relative_path, str(error)))
            else:
                sources[entry.relative_path] = SourceDocument(
                    entry.relative_path, decoded.text, decoded.encoding, sha256_hex(data), len(data)
                )
            bar.advance(1)
    return sources, sorted(skipped), failed


def _read_file(path: str) -> bytes:
    """A file's bytes, by plain system calls (a file object costs an ioctl and an lseek more,
    10,000 files a run, and this is the run's serial start)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = [os.read(descriptor, max(os.fstat(descriptor).st_size, 0) + 1)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 20))
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def _still_finished(
    records: Mapping[str, FinishedFile],
    sources: Mapping[str, SourceDocument],
    layout: OutputLayout,
    config_fingerprint: str,
    corpus_fingerprint: str,
) -> dict[str, FinishedFile]:
    """The manifest records that describe this run's work and whose outputs are intact."""
    kept = {}
    for path, record in records.items():
        source = sources.get(path)
        if (
            source is not None
            and record.input_sha256 == source.input_sha256
            and record.config_fingerprint == config_fingerprint
            and record.corpus_fingerprint == corpus_fingerprint
            and _file_sha256(layout.text(path)) == record.text_sha256
            and _file_sha256(layout.edits(path)) == record.edits_sha256
            and (not record.variants_sha256 or _file_sha256(layout.variants(path)) == record.variants_sha256)
        ):
            kept[path] = record
    return kept


class _DocumentWriter:
    """Runs the engine over the pending documents and writes each one's outputs as it finishes."""

    def __init__(
        self,
        request: CleanRequest,
        layout: OutputLayout,
        manifest: Manifest,
        sources: Mapping[str, SourceDocument],
        config_fingerprint: str,
        corpus_fingerprint: str,
    ) -> None:
        self.request = request
        self.layout = layout
        self.manifest = manifest
        self.sources = sources
        self.config_fingerprint = config_fingerprint
        self.corpus_fingerprint = corpus_fingerprint
        self.finished: dict[str, FinishedFile] = {}
        self.failed: list[SkippedFile] = []
        #: the error that stopped the run (a full disk...), or None
        self.stopped: OutputError | None = None
        self._pending: set[str] = set()
        self._bar: ProgressBar | None = None

    def run(self, pending: Sequence[str]) -> None:
        """Correct ``pending`` with every source as a witness; failures are recorded, not raised."""
        if not pending:
            return
        from jiaokan import correct_corpus

        self._pending = set(pending)
        documents = {path: source.text for path, source in sorted(self.sources.items())}
        characters = sum(len(self.sources[path].text) for path in pending)
        with ProgressBar(
            "cleaning", total=characters, unit="char", total_files=len(pending), enabled=self.request.show_progress
        ) as self._bar:
            try:
                correct_corpus(
                    documents,
                    config=self.request.config,
                    only=list(pending),
                    workers=self.request.workers,
                    progress=self._document_finished,
                    prepare=prepare_outputs,
                    scheduler=self.request.scheduler,
                )
            except OutputError as error:  # raised by `_document_finished`: the engine stops with it
                self.stopped = error
                self.failed.extend(SkippedFile(path, "not cleaned: the run stopped") for path in sorted(self._pending))
                self._pending.clear()
            except Exception as error:  # the engine failed as a whole: name every file it left undone
                reason = f"engine error: {type(error).__name__}: {error}"
                self.failed.extend(SkippedFile(path, reason) for path in sorted(self._pending))
                self._pending.clear()
        self.failed.extend(SkippedFile(path, "the engine returned no result") for path in sorted(self._pending))

    def _document_finished(self, name: str, outputs: PreparedOutputs) -> None:
        if name not in self._pending:
            return  # not asked for (or reported twice): nothing to write
        self._pending.discard(name)
        source = self.sources[name]
        if outputs.original_sha256 != sha256_hex(source.text.encode("utf-8", "surrogatepass")):
            outputs = replace(outputs, problem="the engine's result is for a different text")
        try:
            record = self._write_outputs(source, outputs)
            self.manifest.append(record)
        except (OSError, JiaokanError) as error:
            self.failed.append(SkippedFile(name, f"cannot write outputs: {error}"))
            if isinstance(error, OSError) and error.errno in STOPPING_ERRORS:
                raise _output_error(error, self.layout.text_file(name)) from None
        else:
            self.finished[name] = record
        if self._bar is not None:
            self._bar.advance(len(source.text))
        self.request.faults.after_document()

    def _write_outputs(self, source: SourceDocument, outputs: PreparedOutputs) -> FinishedFile:
        if outputs.problem is not None:
            raise InputError(outputs.problem)
        finished_count = len(self.finished)
        faults = self.request.faults
        faults.before_write(finished_count, self.layout.text_file(source.relative_path))
        write_atomically(
            self.layout.text_file(source.relative_path),
            outputs.text,
            durable=self.request.fsync_each_file,
            before_replace=(lambda temporary: faults.before_replace(finished_count, temporary)) if faults.kill_after is not None else None,
        )
        write_atomically(self.layout.edits_file(source.relative_path), outputs.edits, durable=self.request.fsync_each_file)
        if outputs.variants:
            write_atomically(self.layout.variants_file(source.relative_path), outputs.variants, durable=self.request.fsync_each_file)
        else:
            _remove_if_present(self.layout.variants_file(source.relative_path))  # an earlier run's, for another result
        return FinishedFile(
            relative_path=source.relative_path,
            input_sha256=source.input_sha256,
            config_fingerprint=self.config_fingerprint,
            corpus_fingerprint=self.corpus_fingerprint,
            encoding=source.encoding,
            characters=len(source.text),
            output_characters=outputs.output_characters,
            text_sha256=outputs.text_sha256,
            edits_sha256=outputs.edits_sha256,
            edits_by_rule=outputs.edits_by_rule,
            variants_sha256=outputs.variants_sha256,
        )


def prepare_outputs(correction: Correction) -> PreparedOutputs:
    """The bytes of a document's output files and what the manifest records of them, made
    where the engine finished the document (a worker process when there are several, a Dask
    worker on a cluster: a plain function, so that it pickles)."""
    records = correction.edit_records()
    edits_by_rule: dict[str, dict[str, int]] = {}
    for record in records:
        counts = edits_by_rule.setdefault(record["rule"], {"applied": 0, "proposed": 0})
        counts[record["status"]] += 1
    text = correction.text.encode("utf-8")
    edits = "".join(canonical_json(record) + "\n" for record in records).encode("utf-8")
    variants = "".join(canonical_json(variant.to_dict()) + "\n" for variant in correction.variants).encode("utf-8")
    return PreparedOutputs(
        text=text,
        edits=edits,
        output_characters=len(correction.text),
        edits_by_rule=dict(sorted(edits_by_rule.items())),
        text_sha256=sha256_hex(text),
        edits_sha256=sha256_hex(edits),
        variants=variants,
        variants_sha256=sha256_hex(variants) if variants else "",
        original_sha256=sha256_hex(correction.original.encode("utf-8", "surrogatepass")),
    )


@dataclass(frozen=True)
class PreparedOutputs:
    """A finished document's output files as bytes, made where the engine finished it (only
    these bytes cross back from a worker process, not the edits as objects)."""

    text: bytes
    edits: bytes
    output_characters: int
    edits_by_rule: dict[str, dict[str, int]]
    #: why the outputs cannot be written (then they are empty)
    problem: str | None = None
    #: the files' digests, for the manifest (made in the worker too)
    text_sha256: str = ""
    edits_sha256: str = ""
    #: the variants file (empty: none is written) and its digest ("" for none)
    variants: bytes = b""
    variants_sha256: str = ""
    #: the digest of the text the engine corrected (checked against the input's before writing)
    original_sha256: str = ""


def _remove_if_present(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _config_fingerprint(config: EngineConfig) -> str:
    """The configuration and the engine version: what, besides the inputs, decides the results."""
    return sha256_hex(f"{jiaokan_version()}\n{config.fingerprint()}".encode())[:16]


def _corpus_fingerprint(sources: Iterable[SourceDocument]) -> str:
    """Every document's path and input hash: a change anywhere can change any file's witnesses."""
    listing = sorted((source.relative_path, source.input_sha256) for source in sources)
    return sha256_hex(canonical_json(listing).encode("utf-8"))[:16]


def _file_sha256(path: Path) -> str | None:
    try:
        return sha256_hex(path.read_bytes())
    except OSError:
        return None


def _sync() -> None:
    """Make the run's outputs durable once, at the end (far cheaper than an fsync per file)."""
    if hasattr(os, "sync"):
        os.sync()


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (the kernel releases it even on SIGKILL), and remove
    the file when the run ends, finished or failed. The file is removed while still locked,
    and a run that got its lock on a file already removed (it opened the file just before
    the run holding it ended) tries again on the file now at ``path``, so two runs never
    both hold the lock. A killed run leaves the file; the next run takes it over."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: run unlocked
        fcntl = None
    while True:
        with _stopping_on_output_errors(path):
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        if fcntl is None:
            break
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise InputError(f"another jiaokan clean is writing to {path.parent.parent}; wait for it to finish") from None
        if _is_file_at(descriptor, path):
            break
        os.close(descriptor)  # removed by the run that held it as it ended: lock the new one
    try:
        yield
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass  # already gone, or a read-only folder: the next run takes it over
        os.close(descriptor)


def _is_file_at(descriptor: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``descriptor``."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
