"""Peers on the same text: pycorrector's offline correctors and plain majority vote, against jiaokan.

Single-copy noisy text (each subject article once, noised as in bench/quality.py) and clean text:
- pycorrector ProperCorrector with jiaokan's domain lexicon (lexicons/domain.txt) as its
  proper-name list;
- pycorrector ConfusionCorrector with confusion pairs made from the same lexicon (every term
  with one character replaced by one of its look-alikes -> the term);
- pycorrector's kenlm Corrector with a local character-bigram ARPA model built here from the
  word frequencies pycorrector ships (word_freq.txt); needs the `kenlm` module
  (`pip install -e '.[bench]'`).
Each system's changes are taken as the difference between its input and its output (so every
system is judged the same way, whatever offsets it reports) and judged with
`jiaokan.evaluation.edit_quality`: precision, recall; plus changes per 10,000 characters of
clean text, and characters per second. Ratios are to jiaokan's figures on the same text.

Multi-witness: plain majority vote (no lexicon, no weights: each copy aligned to the first
copy with RapidFuzz, the most frequent reading of every pivot character wins, ties keep the
pivot) against jiaokan on the same pages of k copies, CER after and errors removed.

PYCORRECTOR_DATA_DIR points to a temporary folder, so nothing is written to ~; a corrector
that tries to download is reported "unavailable offline".

    python -m bench.peers                   # default size; kenlm is slow (~100 chars/s)
    python -m bench.peers --articles 3 --clean 3 --copies 3
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench import write_json
from bench.quality import CORPUS_DIR, load_corpus, split_corpus

LEXICON = Path(__file__).resolve().parents[1] / "lexicons" / "domain.txt"


# ---------------------------------------------------------------- lexicon-derived resources


def lexicon_terms(path: Path = LEXICON) -> list[str]:
    """Terms of the domain lexicon (empty if the file is not there)."""
    if not path.exists():
        return []
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.split("\t")[0].strip()
        if term and not term.startswith("#") and len(term) >= 2:
            terms.append(term)
    return sorted(set(terms))


def confusion_pairs(terms: list[str]) -> dict[str, str]:
    """Variant -> term, each variant one look-alike substitution away from a lexicon term."""
    from jiaokan.evaluation.noise import default_lookalikes

    lookalikes = default_lookalikes()
    pairs = {}
    for term in terms:
        for index, character in enumerate(term):
            for other in lookalikes.get(character, ((), ()))[0]:
                variant = term[:index] + other + term[index + 1:]
                if variant not in terms:
                    pairs.setdefault(variant, term)
    return pairs


def write_char_bigram_arpa(word_freq: Path, output: Path, max_bigrams: int = 400_000) -> Path:
    """A character bigram ARPA model from ``word count`` lines (absolute discounting, interpolated)."""
    unigrams: Counter = Counter()
    bigrams: Counter = Counter()
    with word_freq.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            word, count = parts[0], int(parts[1])
            characters = ["<s>", *word, "</s>"]
            for character in characters[1:]:
                unigrams[character] += count
            unigrams["<s>"] += count
            for first, second in zip(characters, characters[1:]):
                bigrams[(first, second)] += count
    kept = dict(sorted(bigrams.items(), key=lambda item: (-item[1], item[0]))[:max_bigrams])
    discount = 0.75
    total = sum(unigrams.values())
    vocabulary = sorted(unigrams)
    followers = Counter(first for first, _ in kept)
    context_count = Counter()
    for (first, _), count in kept.items():
        context_count[first] += count
    unigram_probability = {character: (unigrams[character] + 1) / (total + len(vocabulary) + 1)
                           for character in vocabulary}
    unknown_probability = 1 / (total + len(vocabulary) + 1)
    lines = ["\\data\\", f"ngram 1={len(vocabulary) + 1}", f"ngram 2={len(kept)}", "", "\\1-grams:"]
    lines.append(f"{math.log10(unknown_probability):.6f}\t<unk>\t0")
    for character in vocabulary:
        backoff = 0.0
        if context_count[character]:
            backoff = math.log10(discount * followers[character] / context_count[character])
        probability = -99.0 if character == "<s>" else math.log10(unigram_probability[character])
        lines.append(f"{probability:.6f}\t{character}\t{backoff:.6f}")
    lines += ["", "\\2-grams:"]
    for (first, second), count in kept.items():
        interpolated = (max(count - discount, 0) / context_count[first]
                        + discount * followers[first] / context_count[first] * unigram_probability[second])
        lines.append(f"{math.log10(interpolated):.6f}\t{first} {second}")
    lines += ["", "\\end\\", ""]
    output.write_text("\n".join(lines), encoding="utf-8")
    return output


# ---------------------------------------------------------------- systems


class Unavailable(Exception):
    """A corrector that cannot run here (missing module, or it wanted to download)."""


def _pycorrector_data() -> Path:
    from jiaokan.evaluation.noise import _pycorrector_same_stroke

    path = _pycorrector_same_stroke()
    if path is None:
        raise Unavailable("pycorrector is not installed")
    return path.parent


def _import_pycorrector_without_init() -> None:
    """Make ``pycorrector.<module>`` importable without running ``pycorrector/__init__.py``,
    which imports every corrector (torch, transformers: absent here, and ~10 s)."""
    import importlib.util
    import types

    if "pycorrector" in sys.modules:
        return
    spec = importlib.util.find_spec("pycorrector")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("pycorrector is not installed")
    package = types.ModuleType("pycorrector")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = spec
    sys.modules["pycorrector"] = package


def _no_downloads():
    """Make pycorrector's downloader raise instead of reaching out."""
    import pycorrector.utils.get_file as get_file_module

    def refuse(*arguments, **options):
        raise Unavailable("unavailable offline (it tried to download a model)")

    get_file_module.get_file = refuse
    import pycorrector.detector as detector_module

    detector_module.get_file = refuse


def build_peers(work: Path) -> dict:
    """name -> callable(text) -> corrected text, or the reason it is unavailable."""
    os.environ["PYCORRECTOR_DATA_DIR"] = str(work / "pycorrector")
    peers: dict = {}
    terms = lexicon_terms()
    try:
        _import_pycorrector_without_init()
        _no_downloads()
        from pycorrector.confusion_corrector import ConfusionCorrector
        from pycorrector.proper_corrector import ProperCorrector
    except Exception as error:  # noqa: BLE001 - any import failure means the peer cannot run
        return {name: f"unavailable: {error}" for name in ("ProperCorrector", "ConfusionCorrector", "kenlm Corrector")}
    names_file = work / "proper_names.txt"
    names_file.write_text("\n".join(terms) + "\n", encoding="utf-8")
    if terms:
        proper = ProperCorrector(proper_name_path=str(names_file))
        peers["ProperCorrector"] = lambda text: proper.correct(text)["target"]
        pairs = confusion_pairs(terms)
        if pairs:
            confusion = ConfusionCorrector(custom_confusion_path_or_dict=pairs)
            peers["ConfusionCorrector"] = lambda text: confusion.correct(text)["target"]
        else:
            peers["ConfusionCorrector"] = "unavailable: no confusion pairs from the lexicon"
    else:
        peers["ProperCorrector"] = peers["ConfusionCorrector"] = f"unavailable: no lexicon at {LEXICON}"
    try:
        import kenlm  # noqa: F401
        from pycorrector.corrector import Corrector

        arpa = write_char_bigram_arpa(_pycorrector_data() / "word_freq.txt", work / "char_bigram.arpa")
        corrector = Corrector(language_model_path=str(arpa))
        corrector.check_detector_initialized()
        peers["kenlm Corrector"] = lambda text: corrector.correct(text)["target"]
    except ImportError:
        peers["kenlm Corrector"] = "unavailable: the kenlm module is not installed (pip install -e '.[bench]')"
    except Unavailable as error:
        peers["kenlm Corrector"] = str(error)
    return peers


def jiaokan_single(text: str) -> str:
    from jiaokan import correct_text

    return correct_text(text).text


# ---------------------------------------------------------------- measuring


def diff_edits(original: str, corrected: str):
    """The changes from ``original`` to ``corrected`` as edits over ``original``."""
    from rapidfuzz.distance import Levenshtein

    from jiaokan.edits import Edit

    return [
        Edit(start, end, original[start:end], corrected[other_start:other_end], rule="diff", kind="diff",
             confidence=1.0)
        for tag, start, end, other_start, other_end in Levenshtein.opcodes(original, corrected)
        if tag != "equal"
    ]


def score_system(correct, noisy_pairs: list[tuple[str, str]], clean: list[str]) -> dict:
    """Precision/recall on (gold, noisy) pairs, changes on clean text, characters per second."""
    from jiaokan.evaluation.cer import measure
    from jiaokan.evaluation.edit_quality import EditCounts, judge_edits

    correct("预热一下。")  # loading resources is set-up, not correction speed
    counts = EditCounts()
    seconds = 0.0
    characters = 0
    for gold, noisy in noisy_pairs:
        started = time.perf_counter()
        corrected = correct(noisy)
        seconds += time.perf_counter() - started
        characters += len(noisy)
        counts += judge_edits(gold, noisy, diff_edits(noisy, corrected))
    changes = visible_changes = 0
    clean_characters = 0
    for text in clean:
        started = time.perf_counter()
        corrected = correct(text)
        seconds += time.perf_counter() - started
        characters += len(text)
        clean_characters += len(text)
        changes += len(diff_edits(text, corrected))
        visible_changes += measure(text, corrected).distance
    return {
        "precision": counts.precision, "recall": counts.recall, "edits": counts.edits, "correct": counts.correct,
        "wrong": counts.wrong, "errors_present": counts.errors_present, "errors_fixed": counts.errors_fixed,
        "clean_changes_per_10k": changes * 10_000 / max(clean_characters, 1),
        "clean_errors_introduced_per_10k": visible_changes * 10_000 / max(clean_characters, 1),
        "characters_per_second": characters / max(seconds, 1e-9),
    }


def majority_vote(copies: list[str]) -> list[str]:
    """Each copy corrected by plain majority over all copies, aligned to it as pivot."""
    from rapidfuzz.distance import Levenshtein

    results = []
    for pivot_index, pivot in enumerate(copies):
        # readings[i]: what each copy has at pivot position i; insertions before i are ignored
        readings: list[Counter] = [Counter({character: 1}) for character in pivot]
        for other_index, other in enumerate(copies):
            if other_index == pivot_index:
                continue
            for tag, start, end, other_start, other_end in Levenshtein.opcodes(pivot, other):
                if tag == "equal" or tag == "replace" and end - start == other_end - other_start:
                    for offset in range(end - start):
                        readings[start + offset][other[other_start + offset]] += 1
                elif tag in ("delete", "replace"):
                    for position in range(start, end):
                        readings[position][""] += 1
        voted = []
        for position, counter in enumerate(readings):
            best = max(counter.values())
            winners = [reading for reading, count in counter.items() if count == best]
            voted.append(pivot[position] if pivot[position] in winners else sorted(winners)[0])
        results.append("".join(voted))
    return results


def vote_witness_set(pages) -> dict[str, str]:
    """Majority vote over the noisy copies of each subject, cut out of their pages by the
    benchmark (the vote is handed perfect passage boundaries: an upper bound for plain voting,
    which has no witness discovery of its own); fillers stay as they are."""
    by_subject = defaultdict(list)
    for page in pages:
        by_subject[page.subject].append(page)
    voted = {}
    for subject_pages in by_subject.values():
        index_of = [page.parts.index(page.subject) for page in subject_pages]
        copies = [page.noisy_parts[index] for page, index in zip(subject_pages, index_of)]
        for page, index, text in zip(subject_pages, index_of, majority_vote(copies)):
            parts = list(page.noisy_parts)
            parts[index] = text
            voted[page.name] = "\n\n".join(parts)
    return voted


def run(arguments) -> dict:
    """Every figure, as a JSON-ready dict."""
    from jiaokan.evaluation.noise import NoiseProfile, add_noise, build_witness_set
    import random

    from bench.quality import run_engine, score_witness_set

    corpus = load_corpus(CORPUS_DIR)
    subjects, fillers, clean = split_corpus(corpus, arguments.articles, arguments.clean, arguments.seed)
    profile = NoiseProfile(character_error_rate=arguments.rate)
    rng = random.Random(arguments.seed)
    noisy_pairs = [(text, add_noise(text, rng, profile)) for _, text in sorted(subjects.items())]
    clean_texts = [text for _, text in sorted(clean.items())]
    results: dict = {"settings": {"articles": len(subjects), "clean_articles": len(clean), "seed": arguments.seed,
                                  "character_error_rate": arguments.rate,
                                  "noisy_characters": sum(len(noisy) for _, noisy in noisy_pairs),
                                  "clean_characters": sum(len(text) for text in clean_texts),
                                  "lexicon_terms": len(lexicon_terms())},
                     "single_copy": {}, "multi_witness": {}}
    results["single_copy"]["jiaokan"] = score_system(jiaokan_single, noisy_pairs, clean_texts)
    with tempfile.TemporaryDirectory(prefix="jiaokan-peers-") as work:
        started = time.perf_counter()
        peers = build_peers(Path(work))
        results["settings"]["peer_setup_seconds"] = time.perf_counter() - started
        for name, peer in peers.items():
            if isinstance(peer, str):
                results["single_copy"][name] = {"unavailable": peer}
                continue
            try:
                results["single_copy"][name] = score_system(peer, noisy_pairs, clean_texts)
            except Unavailable as error:
                results["single_copy"][name] = {"unavailable": str(error)}
            print(f"  {name} done", file=sys.stderr)
    baseline = results["single_copy"]["jiaokan"]
    for name, figures in results["single_copy"].items():
        if "unavailable" not in figures and name != "jiaokan":
            figures["ratios_to_jiaokan"] = {key: _ratio(figures[key], baseline[key]) for key in
                                            ("precision", "recall", "clean_changes_per_10k", "characters_per_second")}
    for copies in arguments.copies:
        pages = build_witness_set(subjects, fillers, copies, seed=arguments.seed * 100 + copies, profile=profile)
        corrections, seconds = run_engine({page.name: page.noisy for page in pages}, 1)
        engine = score_witness_set(pages, {name: correction.text for name, correction in corrections.items()})
        started = time.perf_counter()
        voted = score_witness_set(pages, vote_witness_set(pages))
        vote_seconds = time.perf_counter() - started
        results["multi_witness"][str(copies)] = {
            "jiaokan": {"subject_cer_after": engine["subject"]["cer_after"],
                        "subject_errors_removed": engine["subject"]["errors_removed"], "seconds": seconds},
            "majority_vote": {"subject_cer_after": voted["subject"]["cer_after"],
                              "subject_errors_removed": voted["subject"]["errors_removed"],
                              "seconds_including_scoring": vote_seconds},
            "subject_cer_before": engine["subject"]["cer_before"],
        }
    return results


def _ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


def format_table(results: dict) -> str:
    lines = ["single copy        precision  recall  clean changes/10k  chars/s    (ratios to jiaokan)"]
    for name, figures in results["single_copy"].items():
        if "unavailable" in figures:
            lines.append(f"{name:18} {figures['unavailable']}")
            continue
        ratios = figures.get("ratios_to_jiaokan")
        ratio_text = ("  (" + ", ".join(f"{key.split('_')[0]} {value:.2f}" if value is not None else f"{key} -"
                                        for key, value in ratios.items()) + ")") if ratios else ""
        lines.append(f"{name:18} {figures['precision']:9.1%} {figures['recall']:7.1%} "
                     f"{figures['clean_changes_per_10k']:17.2f} {figures['characters_per_second']:8.0f}{ratio_text}")
    lines.append("multi-witness  subject CER before  jiaokan after (removed)  majority vote after (removed)")
    for copies, figures in results["multi_witness"].items():
        lines.append(f"{copies:>6} copies {figures['subject_cer_before']:12.2%}"
                     f"   {figures['jiaokan']['subject_cer_after']:8.2%} ({figures['jiaokan']['subject_errors_removed']:6.1%})"
                     f"   {figures['majority_vote']['subject_cer_after']:8.2%}"
                     f" ({figures['majority_vote']['subject_errors_removed']:6.1%})")
    return "\n".join(lines)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="jiaokan against pycorrector and plain majority vote")
    parser.add_argument("--articles", type=int, default=6, help="subject articles (default 6)")
    parser.add_argument("--clean", type=int, default=6, help="clean articles (default 6)")
    parser.add_argument("--copies", type=lambda text: [int(item) for item in text.split(",")], default=[2, 3, 5])
    parser.add_argument("--rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file ('-' for stdout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    arguments = parse_arguments(argv)
    results = run(arguments)
    print(format_table(results))
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main()
