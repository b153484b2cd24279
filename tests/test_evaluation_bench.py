"""The benchmark helpers that decide figures: plain majority vote, diff edits, the ARPA writer."""
from __future__ import annotations

import math
import sys
from pathlib import Path

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers import diff_edits, majority_vote, write_char_bigram_arpa
from jiaokan.edits import apply_edits


def test_majority_vote_fixes_errors_no_two_copies_share():
    gold = "建档立卡脱贫人口全部实现了稳定脱贫"
    copies = ["建档立卡卡脱贫人口全部实现了稳定脱贫", "建档立卡脱贪人口全部实现了稳定脱贫", "建档立卡脱贫人口全部实现稳定脱贫"]
    voted = majority_vote(copies)
    assert voted[:2] == [gold, gold]
    # the third copy lost 了: plain voting on a pivot cannot restore what the pivot lacks
    assert voted[2] == gold.replace("了", "")


def test_majority_vote_of_identical_copies_changes_nothing():
    copies = ["同一段文字。"] * 3
    assert majority_vote(copies) == copies


def test_diff_edits_replay_to_the_corrected_text():
    original, corrected = "今天天气很好,我们去公园散步步。", "今天天气很好，我们去公园散步。"
    assert apply_edits(original, diff_edits(original, corrected)) == corrected


def test_arpa_model_is_well_formed(tmp_path):
    frequencies = tmp_path / "word_freq.txt"
    frequencies.write_text("中国 100 ns\n中华 50 nz\n国家 80 n\n家 10 n\n", encoding="utf-8")
    arpa = write_char_bigram_arpa(frequencies, tmp_path / "model.arpa")
    text = arpa.read_text(encoding="utf-8")
    header, unigram_block = text.split("\\1-grams:")
    unigram_count = int(header.split("ngram 1=")[1].split()[0])
    bigram_count = int(header.split("ngram 2=")[1].split()[0])
    unigrams = [line for line in unigram_block.split("\\2-grams:")[0].splitlines() if line.strip()]
    bigrams = [line for line in text.split("\\2-grams:")[1].split("\\end\\")[0].splitlines() if line.strip()]
    assert len(unigrams) == unigram_count and len(bigrams) == bigram_count
    assert {"<s>", "</s>", "<unk>", "中", "国"} <= {line.split("\t")[1] for line in unigrams}
    # probabilities of what follows 中 sum to at most 1 (the rest is left for backing off)
    following = [10 ** float(line.split("\t")[0]) for line in bigrams if line.split("\t")[1].startswith("中 ")]
    assert 0 < sum(following) <= 1 + 1e-9
    assert all(not math.isnan(float(line.split("\t")[0])) for line in unigrams + bigrams)
