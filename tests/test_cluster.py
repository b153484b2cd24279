"""The Dask runner (`jiaokan.runners.dask`) on a LocalCluster of two worker processes: the
same bytes as the local runner, through `clean_folder`, the CLI's ``--scheduler`` (and its
environment variable), and with a worker killed mid-run."""
from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_pages import write_pages  # noqa: E402
from jiaokan.batch import CleanRequest, clean_folder  # noqa: E402
from jiaokan.batch.encoding import decode_bytes  # noqa: E402
from jiaokan.batch.runner import prepare_outputs  # noqa: E402
from jiaokan.config import DEFAULT_CONFIG  # noqa: E402
from jiaokan.runners.dask import ClusterRunFacts, run_corpus_on_cluster  # noqa: E402

pytestmark = pytest.mark.slow

#: pages and megabytes of the corpus: over 200,000 characters, so n-grams are sampled as in a large run
PAGES, MEGABYTES = 120, 0.66


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_pages(root, pages=PAGES, megabytes=MEGABYTES)
    return root


@pytest.fixture(scope="module")
def documents(corpus) -> dict[str, str]:
    return {path.relative_to(corpus).as_posix(): decode_bytes(path.read_bytes()).text for path in sorted(corpus.rglob("*.txt"))}


@pytest.fixture(scope="module")
def local_output(corpus, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("local") / "out"
    result = clean_folder(CleanRequest(inputs=(corpus,), output=output, workers=2))
    assert not result.failed and result.summary["files"]["cleaned"] == PAGES
    return output


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster


def outputs_digest(root: Path) -> dict[str, str]:
    """Every file of OUTPUT (texts, edits, variants, manifest) but the summary, which has timestamps."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file() and path.name != "summary.json"
    }


def test_a_cluster_run_writes_the_local_runs_bytes(corpus, local_output, cluster, tmp_path):
    with distributed.Client(cluster) as client:
        result = clean_folder(CleanRequest(inputs=(corpus,), output=tmp_path / "out", scheduler=client))
    assert not result.failed and result.summary["files"]["cleaned"] == PAGES
    digest = outputs_digest(tmp_path / "out")
    assert any(name.startswith(".jiaokan/edits/") for name in digest) and ".jiaokan/manifest.jsonl" in digest
    assert digest == outputs_digest(local_output)
    edits = sum(path.stat().st_size for path in (local_output / ".jiaokan/edits").rglob("*.jsonl"))
    assert edits > 0, "the corpus gives the engine something to do"


def test_the_clean_command_takes_the_scheduler_from_the_environment_and_resumes(corpus, local_output, cluster, tmp_path, monkeypatch, capsys):
    from jiaokan.cli import main

    monkeypatch.setenv("JIAOKAN_DASK_SCHEDULER", cluster.scheduler_address)
    output = tmp_path / "out"
    assert main(["clean", str(corpus), "-o", str(output), "--no-progress"]) == 0
    assert "dashboard:" in capsys.readouterr().err
    assert outputs_digest(output) == outputs_digest(local_output)
    # a run after an output was lost redoes that file; --force redoes them all: the same bytes
    (output / "volume-00/issue-00/page-00003.txt").unlink()
    assert main(["clean", str(corpus), "-o", str(output), "--quiet"]) == 0
    assert outputs_digest(output) == outputs_digest(local_output)
    assert main(["clean", str(corpus), "-o", str(output), "--quiet", "--force", "--scheduler", cluster.scheduler_address]) == 0
    assert outputs_digest(output) == outputs_digest(local_output)


def test_discovery_shuffles_the_sampled_keys(documents, cluster):
    """The n-grams and anchors go through the shuffles (their bytes are counted), and the
    passages found are those of the local runner (the results are compared above)."""
    facts = ClusterRunFacts()
    with distributed.Client(cluster) as client:
        run_corpus_on_cluster(documents, client, config=DEFAULT_CONFIG, only=sorted(documents)[:2], facts=facts)
    assert facts.grams_shuffled > 0 and facts.anchors_shuffled > 0 and facts.passages > 0


def test_a_worker_killed_mid_run_changes_nothing(documents, local_output, cluster):
    """SIGKILL one worker process as the first document comes back: the tasks it held (views,
    collations, finishing) are computed again elsewhere, and every result is the same."""
    killed = []

    with distributed.Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_a_worker(name, outputs):
            if not killed:
                pid = pids[sorted(pids)[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        results = run_corpus_on_cluster(documents, client, config=DEFAULT_CONFIG, progress=kill_a_worker, prepare=prepare_outputs)
        assert killed
        assert killed[0] not in client.run(os.getpid, on_error="ignore").values(), "the scheduler saw the worker go"
    assert sorted(results) == sorted(documents)
    for name, outputs in results.items():
        assert outputs.text == (local_output / name).read_bytes()
        assert outputs.edits == (local_output / ".jiaokan/edits" / f"{name}.jsonl").read_bytes()
