"""Quality benchmark: how much synthetic OCR noise jiaokan removes with 1, 2, 3 and 5 copies,
and how many edits it makes on clean text (every one a false correction).

The corpus is bench/corpus/clean (prose the engine's rules were not written against). A
seeded split takes ``--articles`` subject articles; the rest are fillers. For each copy count
k, every subject gets k noisy copies, each on its own page among noisy fillers
(`jiaokan.evaluation.noise.build_witness_set`); `jiaokan.correct_corpus` runs on the pages of
that k alone. CER (width and whitespace folded) is measured on the subject articles (the text
that has k copies) and on whole pages (fillers are single copies).

Clean text: ``--clean`` corpus articles, untouched, go through `correct_corpus`; applied and
proposed edits are counted per 10,000 characters, by rule.

    python -m bench.quality                       # default size, a few minutes at most
    python -m bench.quality --articles 4 --clean 10 --copies 1,3   # a quick look
    python -m bench.quality --json bench/results/quality.json
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

from bench import write_json

CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "clean"
TARGETS = {1: 0.15, 2: 0.40, 3: 0.85, 5: 0.95}
FALSE_EDITS_TARGET = 2.0


def load_corpus(directory: Path = CORPUS_DIR) -> dict[str, str]:
    """name -> clean text of every corpus file, trailing newline dropped."""
    texts = {path.stem: path.read_text(encoding="utf-8").strip() for path in sorted(directory.glob("*.txt"))}
    if not texts:
        raise SystemExit(f"no corpus in {directory}: run python -m bench.corpus.build_corpus")
    return texts


def split_corpus(corpus: dict[str, str], subjects: int, clean: int, seed: int) -> tuple[dict, dict, dict]:
    """Seeded, disjoint (subjects, fillers, clean articles)."""
    names = sorted(corpus)
    random.Random(seed).shuffle(names)
    subject_names = names[:subjects]
    clean_names = names[subjects:subjects + clean]
    filler_names = names[subjects + clean:]
    pick = lambda chosen: {name: corpus[name] for name in sorted(chosen)}  # noqa: E731
    return pick(subject_names), pick(filler_names), pick(clean_names)


def run_engine(documents: dict[str, str], workers: int):
    """Corrections of every document, and the seconds it took."""
    from jiaokan import correct_corpus

    started = time.perf_counter()
    corrections = correct_corpus(documents, workers=workers)
    return corrections, time.perf_counter() - started


def score_witness_set(pages, texts: dict[str, str]) -> dict:
    """CER before (noisy) and after (``texts``) on subjects and whole pages, summed over pages."""
    from jiaokan.evaluation.cer import CharacterErrors, measure_parts

    totals = {key: CharacterErrors() for key in ("subject_before", "subject_after", "page_before", "page_after")}
    for page in pages:
        gold_parts = list(page.gold_parts)
        subject_index = page.parts.index(page.subject)
        for label, text in (("before", page.noisy), ("after", texts[page.name])):
            parts = measure_parts(gold_parts, text)
            totals[f"subject_{label}"] += parts[subject_index]
            for part in parts:
                totals[f"page_{label}"] += part
    summary = {}
    for scope in ("subject", "page"):
        before, after = totals[f"{scope}_before"], totals[f"{scope}_after"]
        removed = (before.distance - after.distance) / before.distance if before.distance else 0.0
        summary[scope] = {
            "characters": before.reference_length,
            "errors_before": before.distance,
            "errors_after": after.distance,
            "cer_before": before.cer,
            "cer_after": after.cer,
            "errors_removed": removed,
            "kinds_after": {"substitutions": after.substitutions, "deletions": after.deletions,
                            "insertions": after.insertions},
            "top_confusions_after": [list(item) for item in after.top_confusions(10)],
        }
    return summary


def judge_applied_edits(pages, corrections) -> dict:
    """Precision and recall of the applied edits, judged one by one against the gold page."""
    from jiaokan.evaluation.edit_quality import EditCounts, judge_edits

    counts = EditCounts()
    for page in pages:
        correction = corrections[page.name]
        applied = [edit for edit, on in zip(correction.edits, correction.applied) if on]
        counts += judge_edits(page.gold, page.noisy, applied)
    figures = counts.to_dict()
    figures["wrong_examples"] = figures["wrong_examples"][:5]
    return figures


def count_edits(corrections) -> dict:
    """Applied and proposed edits, in total and by rule."""
    applied, proposed = Counter(), Counter()
    applied_kinds, proposed_kinds = Counter(), Counter()
    for correction in corrections.values():
        for index, edit in enumerate(correction.edits):
            is_applied = correction.applied[index]
            (applied if is_applied else proposed)[edit.rule] += 1
            (applied_kinds if is_applied else proposed_kinds)[edit.kind] += 1
    return {"applied": sum(applied.values()), "proposed": sum(proposed.values()),
            "applied_by_kind": dict(sorted(applied_kinds.items())),
            "proposed_by_kind": dict(sorted(proposed_kinds.items())),
            "applied_by_rule": dict(sorted(applied.items())), "proposed_by_rule": dict(sorted(proposed.items()))}


def clean_text_edits(clean: dict[str, str], workers: int) -> dict:
    """Edits the engine makes on clean articles, per 10,000 characters."""
    from jiaokan.evaluation.cer import CharacterErrors, measure

    corrections, seconds = run_engine(clean, workers)
    characters = sum(len(text) for text in clean.values())
    counts = count_edits(corrections)
    damage = CharacterErrors()
    for name, text in clean.items():
        damage += measure(text, corrections[name].text)
    per_10k = 10_000 / max(characters, 1)
    content_kinds = ("consensus", "repair")  # normalisation edits change width, spaces, marks: not words
    return {
        "content_applied_per_10k": sum(counts["applied_by_kind"].get(kind, 0) for kind in content_kinds) * per_10k,
        "content_proposed_per_10k": sum(counts["proposed_by_kind"].get(kind, 0) for kind in content_kinds) * per_10k,
        "articles": len(clean),
        "characters": characters,
        "seconds": seconds,
        "applied_per_10k": counts["applied"] * per_10k,
        "proposed_per_10k": counts["proposed"] * per_10k,
        "cer_introduced": damage.cer,
        "examples": _edit_examples(corrections, 8),
        **counts,
    }


def _edit_examples(corrections, limit: int) -> list[dict]:
    examples = []
    for name in sorted(corrections):
        correction = corrections[name]
        for edit in correction.edits:
            context = correction.original[max(0, edit.start - 8):edit.end + 8]
            examples.append({"document": name, "rule": edit.rule, "original": edit.original,
                             "replacement": edit.replacement, "context": context})
            if len(examples) >= limit:
                return examples
    return examples


def run(arguments) -> dict:
    """The whole benchmark as a JSON-ready dict."""
    from jiaokan.evaluation.noise import NoiseProfile, build_witness_set, default_lookalikes, lookalike_path

    lookalikes = default_lookalikes(arguments.lookalikes)
    corpus = load_corpus()
    subjects, fillers, clean = split_corpus(corpus, arguments.articles, arguments.clean, arguments.seed)
    profile = NoiseProfile(character_error_rate=arguments.rate)
    results: dict = {"settings": {
        "seed": arguments.seed, "articles": len(subjects), "fillers": len(fillers), "clean_articles": len(clean),
        "character_error_rate": arguments.rate, "correlation": arguments.correlation, "workers": arguments.workers,
        "cer": "grapheme clusters, width and whitespace folded",
        "lookalikes": arguments.lookalikes, "lookalike_file": _describe_file(lookalike_path(arguments.lookalikes)),
    }, "copies": {}}
    for copies in arguments.copies:
        pages = build_witness_set(subjects, fillers, copies, seed=arguments.seed * 100 + copies,
                                  profile=profile, correlation=arguments.correlation, lookalikes=lookalikes)
        corrections, seconds = run_engine({page.name: page.noisy for page in pages}, arguments.workers)
        summary = score_witness_set(pages, {name: correction.text for name, correction in corrections.items()})
        summary["applied_edits"] = judge_applied_edits(pages, corrections)
        characters = sum(len(page.noisy) for page in pages)
        summary |= {"pages": len(pages), "seconds": seconds, "characters_per_second": characters / max(seconds, 1e-9),
                    "edits": count_edits(corrections), "target_errors_removed": TARGETS.get(copies)}
        results["copies"][str(copies)] = summary
        print(f"  {copies} copies: {len(pages)} pages, {seconds:.1f} s", file=sys.stderr)
    if arguments.clean:
        results["clean"] = clean_text_edits(clean, arguments.workers)
        results["clean"]["target_per_10k"] = FALSE_EDITS_TARGET
    return results


def _describe_file(path: Path | None) -> str:
    """Name and content digest of a data file, so a result says which table made its noise."""
    import hashlib

    if path is None:
        return "none"
    return f"{path.name} sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def format_table(results: dict) -> str:
    """A plain-text table of the figures that matter."""
    lines = [
        "copies  subject CER before -> after   removed (target)   page CER before -> after   removed   chars/s"
        "   applied edits: precision recall",
    ]
    for copies, summary in results["copies"].items():
        subject, page = summary["subject"], summary["page"]
        target = summary["target_errors_removed"]
        target_text = f"{target:.0%}" if target is not None else "-"
        lines.append(
            f"{copies:>6}  {subject['cer_before']:8.2%} -> {subject['cer_after']:6.2%}"
            f"   {subject['errors_removed']:7.1%} ({target_text:>4})"
            f"   {page['cer_before']:8.2%} -> {page['cer_after']:6.2%}   {page['errors_removed']:7.1%}"
            f"   {summary['characters_per_second']:7.0f}"
            f"   {summary['applied_edits']['precision']:9.1%} {summary['applied_edits']['recall']:6.1%}"
        )
    if "clean" in results:
        clean = results["clean"]
        lines.append(
            f"clean text: {clean['characters']} chars, edits per 10k chars: applied {clean['applied_per_10k']:.2f}, "
            f"proposed {clean['proposed_per_10k']:.2f} (target <= {clean['target_per_10k']:.0f}); "
            f"CER introduced {clean['cer_introduced']:.3%}"
        )
        lines.append(f"  of which consensus/repair (content) edits: applied {clean['content_applied_per_10k']:.2f}, "
                     f"proposed {clean['content_proposed_per_10k']:.2f} per 10k")
        if clean["applied_by_rule"] or clean["proposed_by_rule"]:
            lines.append(f"  applied by rule: {clean['applied_by_rule']}  proposed by rule: {clean['proposed_by_rule']}")
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description="jiaokan quality benchmark (synthetic multi-witness set)")
    parser.add_argument("--articles", type=int, default=12, help="subject articles (default 12)")
    parser.add_argument("--clean", type=int, default=40, help="clean articles for false corrections (default 40)")
    parser.add_argument("--copies", type=lambda text: [int(item) for item in text.split(",")], default=[1, 2, 3, 5])
    parser.add_argument("--rate", type=float, default=0.03, help="character error rate of the noise (default 0.03)")
    parser.add_argument("--correlation", type=float, default=0.0, help="share of errors copies have in common")
    parser.add_argument("--lookalikes", choices=("table", "same-stroke"), default="table",
                        help="look-alike substitutions from lexicons/lookalike.tsv (the engine's own table) "
                             "or from pycorrector's independent same_stroke groups")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file ('-' for stdout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run, print the table (and the JSON if asked), return the figures."""
    arguments = parse_arguments(argv)
    results = run(arguments)
    print(format_table(results))
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main()
