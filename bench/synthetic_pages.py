"""Synthetic OCR pages for the batch benchmark: many pages, realistic sizes, shared passages.

Pages are built from a pool of passages cut from the clean benchmark corpus
(bench/corpus/clean, Chinese prose). A corpus of 20 MB needs more distinct text than
the corpus holds, so later rounds through it rename the Han characters by a seeded
permutation: the text keeps its statistics but shares no n-gram with other rounds. Each
passage appears on about two pages on average (most on one, some on up to six), as wire
stories do across an archive, with light OCR-like noise (look-alike swaps, doubled
characters, ASCII commas), so witness discovery and collation have realistic work.
Encodings are mixed like a real archive: mostly UTF-8, some GB18030, UTF-16 and BOM files.
Deterministic for a given seed.
"""
from __future__ import annotations

import argparse
import codecs
import random
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
LOOKALIKES = {"人": "入", "己": "已", "未": "末", "土": "士", "日": "曰", "千": "干", "钍": "钎", "子": "午"}
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"


CORPUS = Path(__file__).resolve().parent / "corpus" / "clean"
#: pages a passage appears on, and how often (mean about 2)
REPEATS = (1, 1, 1, 2, 2, 3, 4, 6)


def passage_pool(size: int, generator: random.Random) -> list[str]:
    """``size`` distinct passages of 150-600 characters."""
    source = "".join(path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))).replace("\n", "")
    if len(source) < 10_000:
        return [_generated_text(generator.randint(150, 600), generator) for _ in range(size)]
    han = sorted({character for character in source if "\u4e00" <= character <= "\u9fff"})
    pool, cursor, round_number = [], 0, 0
    renaming = str.maketrans({})
    while len(pool) < size:
        length = generator.randint(150, 600)
        if cursor + length > len(source):
            cursor, round_number = 0, round_number + 1
            shuffled = han[:]
            random.Random(round_number).shuffle(shuffled)
            renaming = str.maketrans(dict(zip(han, shuffled)))
        pool.append(source[cursor:cursor + length].translate(renaming))
        cursor += length
    return pool


def _generated_text(length: int, generator: random.Random) -> str:
    """Chinese-looking text from common characters (used only when the corpus is missing)."""
    characters: list[str] = []
    while len(characters) < length:
        characters.extend(generator.choices(COMMON, k=generator.randint(8, 30)))
        characters.append(generator.choice("，，，。、；"))
    return "".join(characters[:length - 1]) + "。"


def add_noise(text: str, generator: random.Random, rate: float = 0.01) -> str:
    """Look-alike swaps, doubled characters and ASCII commas at about ``rate`` per character."""
    pieces = []
    for character in text:
        roll = generator.random()
        if roll < rate / 3 and character in LOOKALIKES:
            pieces.append(LOOKALIKES[character])
        elif roll < rate * 2 / 3:
            pieces.append(character * 2)
        elif roll < rate and character == "，":
            pieces.append(",")
        else:
            pieces.append(character)
    return "".join(pieces)


def page_text(pool: list[str], generator: random.Random, target_characters: int) -> str:
    """A page: passages from the pool (shared with other pages), with noise, in paragraphs."""
    paragraphs = []
    total = 0
    while total < target_characters:
        paragraph = add_noise(generator.choice(pool), generator)
        paragraphs.append(paragraph)
        total += len(paragraph)
    return "\n\n".join(paragraphs) + "\n"


def encode_page(text: str, index: int) -> bytes:
    """Mostly UTF-8; every 10th GB18030 with CRLF, every 25th UTF-16 with BOM, every 20th UTF-8 with BOM."""
    if index % 25 == 0:
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if index % 20 == 0:
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if index % 10 == 0:
        return text.replace("\n", "\r\n").encode("gb18030", errors="replace")
    return text.encode("utf-8")


def write_pages(root: Path, *, pages: int, megabytes: float, seed: int = 4) -> int:
    """Write ``pages`` pages of about ``megabytes`` in total under ``root``; the bytes written."""
    generator = random.Random(seed)
    # UTF-8 Chinese is 3 bytes a character
    characters_per_page = max(50, int(megabytes * 1e6 / 3 / pages))
    placements = _placements(pages, characters_per_page, generator)
    written = 0
    for index in range(pages):
        path = root / f"volume-{index // 1000:02d}" / f"issue-{index // 50 % 20:02d}" / f"page-{index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n\n".join(add_noise(passage, generator) for passage in placements[index]) + "\n"
        data = encode_page(text, index)
        path.write_bytes(data)
        written += len(data)
    return written


def _placements(pages: int, characters_per_page: int, generator: random.Random) -> list[list[str]]:
    """The passages of every page: each passage placed on `REPEATS` pages, pages filled in turn."""
    mean_repeats = sum(REPEATS) / len(REPEATS)
    pool = passage_pool(int(pages * characters_per_page / 375 / mean_repeats) + 10, generator)
    placements: list[list[str]] = [[] for _ in range(pages)]
    sizes = [0] * pages
    for passage in pool:
        open_pages = [index for index in generator.sample(range(pages), min(pages, 12)) if sizes[index] < characters_per_page]
        for index in open_pages[:generator.choice(REPEATS)]:
            placements[index].append(passage)
            sizes[index] += len(passage)
    return placements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=4)
    arguments = parser.parse_args()
    written = write_pages(arguments.output, pages=arguments.pages, megabytes=arguments.megabytes, seed=arguments.seed)
    print(f"{arguments.pages} pages, {written / 1e6:.1f} MB in {arguments.output}")


if __name__ == "__main__":
    main()
