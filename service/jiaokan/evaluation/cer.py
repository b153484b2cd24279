"""Character error rate over grapheme clusters, with counts by kind and confusion pairs.

Texts are put in NFC and split into extended grapheme clusters (the `regex` module's ``\\X``,
which follows Unicode's segmentation rules; `regex` is maintained and already a dependency of
the tokenizer stack). The clusters are mapped to integers and aligned with RapidFuzz's
Levenshtein distance; the character error rate is that distance over the gold text's length.

Folding, on by default since the engine's normalisation changes these and a reader does not
see them as errors:

- width (`fold_width`): full-width ASCII forms (，；：！？（）０-９Ａ-Ｚ ...) read as their
  half-width forms, the ideographic space as a space, and 。 as . — so ，/, is not an error.
  、 stays distinct from , : reading 、 as , is an OCR error.
- whitespace (`fold_whitespace`): all whitespace is removed before comparing, so a line
  break, a paragraph broken mid-sentence or a trailing space is not an error. (Chinese has
  no word spaces; spaces between Latin words vanish from both sides alike.)
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

#: full-width forms U+FF01..U+FF5E sit at a fixed distance from ASCII 0x21..0x7E
_FULL_WIDTH_OFFSET = 0xFF01 - 0x21
WIDTH_TABLE = {code: code - _FULL_WIDTH_OFFSET for code in range(0xFF01, 0xFF5F)} | {
    0x3000: ord(" "),   # ideographic space
    0x3002: ord("."),   # ideographic full stop 。
    0xFF61: ord("."),   # halfwidth ideographic full stop ｡
}
WHITESPACE_TABLE = {code: None for code in range(0x10000) if chr(code).isspace()}


def fold(text: str, *, fold_width: bool = True, fold_whitespace: bool = True) -> str:
    """``text`` in NFC with width and whitespace folded as configured."""
    text = unicodedata.normalize("NFC", text)
    if fold_width:
        text = text.translate(WIDTH_TABLE)
    if fold_whitespace:
        text = text.translate(WHITESPACE_TABLE)
    return text


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters of ``text``."""
    import regex

    return regex.findall(r"\X", text)


@dataclass
class CharacterErrors:
    """Counts of one comparison (or a sum of several): the CER is ``distance / reference_length``."""

    reference_length: int = 0
    prediction_length: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    #: (gold cluster, predicted cluster) -> count; "" stands for nothing (deletion / insertion)
    confusions: Counter = field(default_factory=Counter)

    @property
    def distance(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def cer(self) -> float:
        """Errors per gold cluster; 0 for two empty texts, 1.0 for text against an empty gold."""
        if self.reference_length == 0:
            return 0.0 if self.distance == 0 else 1.0
        return self.distance / self.reference_length

    def __add__(self, other: "CharacterErrors") -> "CharacterErrors":
        return CharacterErrors(
            self.reference_length + other.reference_length,
            self.prediction_length + other.prediction_length,
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.confusions + other.confusions,
        )

    def top_confusions(self, count: int = 20) -> list[tuple[str, str, int]]:
        """The most frequent (gold, predicted, count), ties in a stable order."""
        ranked = sorted(self.confusions.items(), key=lambda item: (-item[1], item[0]))
        return [(gold, predicted, number) for (gold, predicted), number in ranked[:count]]

    def to_dict(self, top: int = 20) -> dict:
        return {
            "cer": self.cer,
            "distance": self.distance,
            "reference_length": self.reference_length,
            "prediction_length": self.prediction_length,
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "confusions": [{"gold": g, "predicted": p, "count": n} for g, p, n in self.top_confusions(top)],
        }


def cluster_ids(*sequences: list[str]) -> list[list[int]]:
    """The same integer for the same cluster across ``sequences`` (RapidFuzz aligns integers fast)."""
    ids: dict[str, int] = {}
    return [[ids.setdefault(cluster, len(ids)) for cluster in sequence] for sequence in sequences]


def align_clusters(gold: list[str], predicted: list[str]):
    """RapidFuzz Levenshtein opcodes turning ``gold`` into ``predicted``."""
    from rapidfuzz.distance import Levenshtein

    gold_ids, predicted_ids = cluster_ids(gold, predicted)
    return Levenshtein.opcodes(gold_ids, predicted_ids)


def measure(gold: str, predicted: str, *, fold_width: bool = True, fold_whitespace: bool = True) -> CharacterErrors:
    """Character errors of ``predicted`` against ``gold``, counted over grapheme clusters."""
    from rapidfuzz.distance import Levenshtein

    gold_clusters = graphemes(fold(gold, fold_width=fold_width, fold_whitespace=fold_whitespace))
    predicted_clusters = graphemes(fold(predicted, fold_width=fold_width, fold_whitespace=fold_whitespace))
    gold_ids, predicted_ids = cluster_ids(gold_clusters, predicted_clusters)
    errors = CharacterErrors(len(gold_clusters), len(predicted_clusters))
    for operation in Levenshtein.editops(gold_ids, predicted_ids):
        if operation.tag == "replace":
            errors.substitutions += 1
            pair = (gold_clusters[operation.src_pos], predicted_clusters[operation.dest_pos])
        elif operation.tag == "delete":
            errors.deletions += 1
            pair = (gold_clusters[operation.src_pos], "")
        else:
            errors.insertions += 1
            pair = ("", predicted_clusters[operation.dest_pos])
        errors.confusions[pair] += 1
    return errors


def character_error_rate(gold: str, predicted: str, **options) -> float:
    """Just the rate (see `measure`)."""
    return measure(gold, predicted, **options).cer


def measure_parts(
    gold_parts: list[str],
    predicted: str,
    *,
    separator: str = "\n\n",
    fold_width: bool = True,
    fold_whitespace: bool = True,
) -> list[CharacterErrors]:
    """Character errors of ``predicted`` against ``separator.join(gold_parts)``, attributed to the parts.

    Each error goes to the part its gold position falls in (an insertion at a boundary to the part
    before it; a separator's errors to the part before it), so the parts' distances add up to the
    page's distance and one article of a page can be scored alone.
    """
    from rapidfuzz.distance import Levenshtein

    options = {"fold_width": fold_width, "fold_whitespace": fold_whitespace}
    part_clusters = [graphemes(fold(part, **options)) for part in gold_parts]
    separator_clusters = graphemes(fold(separator, **options))
    gold_clusters: list[str] = []
    owner: list[int] = []
    for index, clusters in enumerate(part_clusters):
        if index:
            gold_clusters.extend(separator_clusters)
            owner.extend([index - 1] * len(separator_clusters))
        gold_clusters.extend(clusters)
        owner.extend([index] * len(clusters))
    predicted_clusters = graphemes(fold(predicted, **options))
    results = [CharacterErrors(len(clusters)) for clusters in part_clusters]
    results[-1].prediction_length = len(predicted_clusters)  # lengths of predicted parts are not defined
    gold_ids, predicted_ids = cluster_ids(gold_clusters, predicted_clusters)
    for operation in Levenshtein.editops(gold_ids, predicted_ids):
        position = operation.src_pos
        if operation.tag == "insert":
            position = max(position - 1, 0)
        errors = results[owner[position]] if owner else results[0]
        if operation.tag == "replace":
            errors.substitutions += 1
            errors.confusions[(gold_clusters[operation.src_pos], predicted_clusters[operation.dest_pos])] += 1
        elif operation.tag == "delete":
            errors.deletions += 1
            errors.confusions[(gold_clusters[operation.src_pos], "")] += 1
        else:
            errors.insertions += 1
            errors.confusions[("", predicted_clusters[operation.dest_pos])] += 1
    return results
