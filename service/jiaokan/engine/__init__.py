"""The engine's entry points: one text (with optional witnesses) or a corpus of named documents.

Pipeline per corpus: find the witnesses of every passage (`jiaokan.witnesses`), collate
each document against them (`jiaokan.consensus`), repair what single copies leave
(`jiaokan.repair`, helped by terms the corpus confirmed), normalise (`jiaokan.normalise`),
and let the policy of `EngineConfig` decide what applies automatically.

The stages are plain functions of explicit inputs (`jiaokan.engine.stages`); a runner
orders them: `jiaokan.runners.local` on this machine's cores, or `jiaokan.runners.dask` on a
Dask distributed cluster (``scheduler=``), with the same results to the byte.
"""
from __future__ import annotations

from typing import Any, Callable, Collection, Iterable, Mapping

from jiaokan.config import DEFAULT_CONFIG, EngineConfig
from jiaokan.errors import InputError
from jiaokan.result import Correction

ProgressCallback = Callable[[str, Any], None]  # the Correction, or what ``prepare`` made of it


def correct_text(text: str, witnesses: Iterable[str] = (), *, config: EngineConfig = DEFAULT_CONFIG) -> Correction:
    """Correct ``text``; ``witnesses`` are other copies (whole texts that may also carry other matter)."""
    documents = {"text": text} | {f"witness-{index + 1}": witness for index, witness in enumerate(witnesses)}
    return correct_corpus(documents, config=config, only=["text"])["text"]


def correct_corpus(
    documents: Mapping[str, str],
    *,
    config: EngineConfig = DEFAULT_CONFIG,
    only: Collection[str] | None = None,
    workers: int = 1,
    progress: ProgressCallback | None = None,
    prepare: Callable[[Correction], Any] | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Correct every document (or those named in ``only``), each using all the others as witnesses.

    The result does not depend on the order of ``documents``. ``progress`` is called in
    this process with each finished document, in name order when ``workers`` is 1.

    ``prepare``, if given, turns each finished `Correction` into what the caller keeps of it
    (the bytes of its output files, say), in the process that finished the document: a
    worker process when ``workers`` > 1, forked from this one as the run's last phase
    began. What it returns is what ``progress`` receives and what is returned, in place of
    the `Correction`, so that work is shared among the workers and only its result crosses
    back.

    ``scheduler``, if given, is the address of a Dask distributed scheduler
    (``tcp://host:8786``) or a `distributed.Client`: the stages run on its workers
    (``workers`` is then theirs to decide), ``prepare`` must pickle, and ``progress`` is called
    as documents finish, in no set order. The results are the same.
    """
    _check_documents(documents)
    if scheduler is not None:
        from jiaokan.runners.dask import run_corpus_on_cluster

        return run_corpus_on_cluster(documents, scheduler, config=config, only=only, progress=progress, prepare=prepare)
    from jiaokan.runners.local import run_corpus

    return run_corpus(documents, config=config, only=only, workers=workers, progress=progress, prepare=prepare)


def _check_documents(documents: Mapping[str, str]) -> None:
    for name, text in documents.items():
        if not isinstance(name, str) or not name:
            raise InputError("every document needs a non-empty name")
        if not isinstance(text, str):
            raise InputError(f"document {name!r} is not text")
