"""Build the clean benchmark corpus (bench/corpus/clean/*.txt) from Debian's Chinese documentation.

The engine's authors wrote their rules against the seed newspaper pages; the benchmark needs
modern simplified-Chinese prose they did not see. Debian ships expository prose translated to
simplified Chinese in a few documentation packages; this script takes the prose paragraphs
out of them and groups them into passages of roughly 500-3,000 characters.

Sources (see bench/corpus/README.md for licences):
  debian-reference-zh-cn, maint-guide-zh-cn, debian-faq-zh-cn, debian-edu-doc-zh-cn,
  kicad-doc-zh, libreoffice-help-zh-cn (HTML)
  manpages-zh (roff, zh_CN pages only)

Non-prose is filtered out: code blocks, tables, option lists (roff .TP/.IP items, SYNOPSIS,
OPTIONS ...), paragraphs with little Chinese, paragraphs that look like code or addresses,
paragraphs that are mostly traditional characters, and paragraphs whose punctuation is
half-width next to Chinese (a clean page uses full-width ，。；：). Repeated paragraphs
(licence texts copied into several documents) are kept once.

Usage:
    python -m bench.corpus.build_corpus                  # downloads the .deb files with apt-get
    python -m bench.corpus.build_corpus --debs DIR       # use .deb files already in DIR
The output is deterministic for the same package versions.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import html
import json
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

HTML_PACKAGES = {
    "debian-reference-zh-cn": "usr/share/debian-reference/*.zh-cn.html",
    "maint-guide-zh-cn": "usr/share/doc/maint-guide-zh-cn/html/*.zh-cn.html",
    "debian-faq-zh-cn": "usr/share/doc/debian/FAQ/zh-cn/*.html",
    "debian-edu-doc-zh-cn": "usr/share/doc/debian-edu-doc-zh-cn/debian-edu-bookworm-manual.html",
    "kicad-doc-zh": "usr/share/doc/kicad/help/zh/*.html",
    "libreoffice-help-zh-cn": "usr/share/libreoffice/help/zh-CN/text/**/*.html",
}
#: packages of many short pages: their passages are made from the pages of one folder
GROUP_BY_FOLDER = {"libreoffice-help-zh-cn"}
MAN_PACKAGE = "manpages-zh"
MAN_GLOB = "usr/share/man/zh_CN/man*/*.gz"
PACKAGE_LICENCES = {
    "debian-reference-zh-cn": "GPL-2+",
    "maint-guide-zh-cn": "GPL-2+",
    "debian-faq-zh-cn": "Debian FAQ licence (verbatim/modified copies permitted, same notice)",
    "debian-edu-doc-zh-cn": "GPL-2+",
    "kicad-doc-zh": "GPL-3+ (or CC-BY-3.0+, as the KiCad documentation states)",
    "libreoffice-help-zh-cn": "MPL-2.0",
    "manpages-zh": "GFDL-1.2+ (a few pages GPL-2)",
}

OUTPUT_DIR = Path(__file__).resolve().parent / "clean"
MIN_PARAGRAPH = 40
MIN_PASSAGE = 300
MAX_PASSAGE = 3000
MAX_PASSAGES = 300

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CODE_SYMBOLS = re.compile(r"[/$=_{}<>|\\#@*`~\[\]%^]")
HALF_WIDTH_NEXT_TO_CJK = re.compile(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]")
HALF_WIDTH_PARENTHESES_AROUND_CJK = re.compile(r"\([^)]*[\u4e00-\u9fff][^)]*\)")
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
SENTENCE_END = tuple("。！？”）」…：；")
BLOCK_TAGS = {"p", "li", "dd", "dt", "div", "td", "th", "blockquote", "br", "ul", "ol", "dl", "title"}
SKIP_TAGS = {"pre", "table", "script", "style", "code.block", "screen"}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED_PAGES = re.compile(r"(gpl|fdl|legal|copying|licen[cs]e|index|ix01|bk01|co01)", re.IGNORECASE)
MAN_SKIPPED_SECTIONS = re.compile(
    r"NAME|名|SYNOPSIS|总览|概述|语法|用法|OPTION|选项|参数|SEE ALSO|参见|另见|参阅|AUTHOR|作者|FILE|文件|"
    r"EXAMPLE|示例|范例|例子|ENVIRON|环境|COPYRIGHT|版权|BUG|缺陷|REPORT|翻译|TRANSLAT|中文|COLOPHON|跋|"
    r"EXIT|退出|RETURN|返回|ERROR|错误|STANDARD|标准|遵循|CONFORM|VERSION|版本|MAINTAIN|维护|AVAILAB",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- paragraphs and prose


def tidy_paragraph(text: str) -> str:
    """Collapse whitespace; drop the spaces source line breaks leave between Chinese characters."""
    text = html.unescape(text).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    # a space with Chinese (or full-width punctuation) on either side is a line-break artefact
    text = re.sub(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=\S)", "", text)
    text = re.sub(r"(?<=\S) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])", "", text)
    return widen_punctuation(text)


def widen_punctuation(text: str) -> str:
    """Half-width punctuation next to Chinese made full-width, as a clean Chinese page prints it.

    Older translations (manpages-zh above all) type ``,`` and ``.`` between Chinese words; left
    alone they would make the gold text itself noisy.
    """
    for half, full in HALF_TO_FULL.items():
        text = re.sub(rf"(?<=[\u4e00-\u9fff“”]){re.escape(half)}\s*|\s*{re.escape(half)}(?=[\u4e00-\u9fff])", full, text)
    text = re.sub(r"(?<=[\u4e00-\u9fff”])\.(?=\s|$|[\u4e00-\u9fff])\s*", "。", text)
    text = re.sub(r"(?<=[A-Za-z0-9)])\.\s*(?=[\u4e00-\u9fff])", "。", text)
    text = re.sub(r"\s*\(([^()]*[\u4e00-\u9fff][^()]*)\)\s*", r"（\1）", text)
    return text


def is_prose(paragraph: str, t2s) -> bool:
    """A paragraph of modern simplified Chinese prose, not code, a list item of options or a URL."""
    if len(paragraph) < MIN_PARAGRAPH or "http" in paragraph or "www." in paragraph:
        return False
    visible = [character for character in paragraph if not character.isspace()]
    chinese = sum(1 for character in visible if CJK.match(character))
    if chinese < 0.6 * len(visible):
        return False
    if len(CODE_SYMBOLS.findall(paragraph)) > 0.02 * len(paragraph):
        return False
    if HALF_WIDTH_NEXT_TO_CJK.search(paragraph) or HALF_WIDTH_PARENTHESES_AROUND_CJK.search(paragraph):
        return False
    if not paragraph.endswith(SENTENCE_END):
        return False
    simplified = t2s(paragraph)
    changed = sum(1 for before, after in zip(paragraph, simplified) if before != after)
    return changed <= 0.01 * len(paragraph)


def group_passages(paragraphs: list[str]) -> list[str]:
    """Consecutive prose paragraphs joined into passages of MIN_PASSAGE..MAX_PASSAGE characters."""
    passages: list[str] = []
    current: list[str] = []
    length = 0
    for paragraph in paragraphs:
        if current and length + len(paragraph) > MAX_PASSAGE:
            passages.append("\n\n".join(current))
            current, length = [], 0
        current.append(paragraph)
        length += len(paragraph)
    if current:
        passages.append("\n\n".join(current))
    return [passage for passage in passages if len(passage) >= MIN_PASSAGE]


# ---------------------------------------------------------------- HTML sources


class SectionedParagraphs(HTMLParser):
    """Text blocks of an HTML page, grouped by the heading they fall under; tables and code skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[list[str]] = [[]]
        self.buffer: list[str] = []
        self.skip_depth = 0

    def flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        if text.strip() and not self.skip_depth:
            self.sections[-1].append(text)

    def handle_starttag(self, tag, attributes):
        if tag in SKIP_TAGS:
            self.flush()
            self.skip_depth += 1
        elif tag in HEADING_TAGS:
            self.flush()
            self.sections.append([])
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            self.buffer = []
        elif tag in HEADING_TAGS:
            self.buffer = []  # headings are titles, not prose
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        if not self.skip_depth:
            self.buffer.append(data)


def html_passages(path: str, t2s) -> list[list[str]]:
    """Prose paragraphs of one HTML page, one list per section."""
    parser = SectionedParagraphs()
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    parser.flush()
    sections = []
    for section in parser.sections:
        paragraphs = [tidy_paragraph(block) for block in section]
        sections.append([paragraph for paragraph in paragraphs if is_prose(paragraph, t2s)])
    return sections


# ---------------------------------------------------------------- roff (man page) sources

ROFF_ESCAPES = [
    (re.compile(r"\\f(\(..|\[[^\]]*\]|.)"), ""),
    (re.compile(r"\\s[+-]?\d+"), ""),
    (re.compile(r"\\\(lq|\\\(rq"), '"'),
    (re.compile(r"\\\(em|\\\(en"), "—"),
    (re.compile(r"\\\(co"), "©"),
    (re.compile(r"\\\*\(..|\\\*."), ""),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),
    (re.compile(r"\\[-e]"), "-"),
    (re.compile(r"\\[&|^%:c]|\\ "), ""),
]
FONT_MACROS = {".B", ".I", ".BR", ".IR", ".BI", ".RB", ".RI", ".IB", ".SM", ".SB"}


def unescape_roff(text: str) -> str:
    """Text of a roff line without font changes and escapes."""
    for pattern, replacement in ROFF_ESCAPES:
        text = pattern.sub(replacement, text)
    return text.replace("\\", "")


def roff_paragraphs(source: str) -> list[str]:
    """Plain (untagged) paragraphs of a man page, outside sections that hold no prose."""
    paragraphs: list[str] = []
    current: list[str] = []
    keep_section = False
    in_item = False
    in_fill_off = False
    in_definition = False

    def finish() -> None:
        if current and keep_section and not in_item:
            paragraphs.append(" ".join(current))
        current.clear()

    for line in source.splitlines():
        if in_definition:
            in_definition = line.strip() != ".."
            continue
        if line.startswith(('.\\"', "'\\\"", '\\"')):
            continue
        if line.startswith((".", "'")):
            name, _, rest = line.partition(" ")
            name = name.replace("'", ".")
            if name in (".de", ".ig"):
                in_definition = True
                continue
            if name == ".nf":
                finish()
                in_fill_off = True
                continue
            if name == ".fi":
                in_fill_off = False
                continue
            if name in (".SH", ".SS"):
                finish()
                title = unescape_roff(rest).strip('"')
                keep_section = name == ".SS" and keep_section or not MAN_SKIPPED_SECTIONS.search(title)
                in_item = False
                continue
            if name in (".TP", ".IP", ".TQ", ".HP"):
                finish()
                in_item = True
                continue
            if name in (".PP", ".LP", ".P"):
                finish()
                in_item = False
                continue
            if name in (".br", ".sp", ".RS", ".RE", ".EX", ".EE"):
                finish()
                continue
            if name in FONT_MACROS and not in_fill_off:
                arguments = re.findall(r'"[^"]*"|\S+', rest)
                current.append(unescape_roff("".join(argument.strip('"') for argument in arguments)))
            continue
        if not in_fill_off:
            current.append(unescape_roff(line))
    finish()
    return paragraphs


def man_passages(path: str, t2s) -> list[list[str]]:
    """Prose paragraphs of one man page, as a single section."""
    source = gzip.decompress(Path(path).read_bytes()).decode("utf-8", errors="replace")
    paragraphs = [tidy_paragraph(paragraph) for paragraph in roff_paragraphs(source)]
    return [[paragraph for paragraph in paragraphs if is_prose(paragraph, t2s)]]


# ---------------------------------------------------------------- packages


def extract_packages(deb_dir: Path, work_dir: Path) -> dict[str, tuple[Path, str]]:
    """Each package's extracted root and version; download the .deb files with apt-get if missing."""
    roots = {}
    for package in [*HTML_PACKAGES, MAN_PACKAGE]:
        debs = sorted(deb_dir.glob(f"{package}_*.deb"))
        if not debs:
            subprocess.run(["apt-get", "download", package], cwd=deb_dir, check=True)
            debs = sorted(deb_dir.glob(f"{package}_*.deb"))
        version = debs[-1].name.split("_")[1]
        root = work_dir / package
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
        roots[package] = (root, version)
    return roots


def collect(roots: dict[str, tuple[Path, str]]) -> list[dict]:
    """Every passage with its source; repeated paragraphs kept once."""
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    seen: set[str] = set()
    passages = []
    sources = [(package, pattern, html_passages) for package, pattern in HTML_PACKAGES.items()]
    sources.append((MAN_PACKAGE, MAN_GLOB, man_passages))
    for package, pattern, extract in sources:
        root, version = roots[package]
        units: dict[str, list[str]] = {}
        for path in sorted(glob.glob(str(root / pattern), recursive=True)):
            if SKIPPED_PAGES.search(Path(path).name):
                continue
            unit = "/" + str(Path(path).relative_to(root))
            if package in GROUP_BY_FOLDER:
                unit = str(Path(unit).parent) + "/"
            paragraphs = units.setdefault(unit, [])
            for section in extract(path, t2s):
                for paragraph in section:
                    digest = hashlib.sha1(paragraph.encode()).hexdigest()
                    if digest not in seen:
                        seen.add(digest)
                        paragraphs.append(paragraph)
        for unit, paragraphs in units.items():
            for index, passage in enumerate(group_passages(paragraphs)):
                passages.append({"package": package, "version": version, "path": unit, "part": index, "text": passage})
    return passages


def select(passages: list[dict], limit: int) -> list[dict]:
    """At most ``limit`` passages, every source represented, chosen by a stable hash (no randomness)."""
    ranked = sorted(passages, key=lambda item: hashlib.sha1(item["text"].encode()).hexdigest())
    return sorted(ranked[:limit], key=lambda item: (item["package"], item["path"], item["part"]))


def write_corpus(passages: list[dict], output_dir: Path) -> None:
    """One .txt per passage plus sources.jsonl (file -> package, version, path, licence)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in output_dir.glob("*.txt"):
        old.unlink()
    with open(output_dir.parent / "sources.jsonl", "w", encoding="utf-8") as manifest:
        for number, item in enumerate(passages):
            stem = re.sub(r"[^a-z0-9]+", "-", Path(item["path"]).name.lower().replace(".gz", "")).strip("-")
            name = f"{number:03d}-{item['package'].removesuffix('-zh-cn')}-{stem}-{item['part']}.txt"
            (output_dir / name).write_text(item["text"] + "\n", encoding="utf-8")
            record = {key: item[key] for key in ("package", "version", "path", "part")}
            record |= {"file": name, "characters": len(item["text"]), "licence": PACKAGE_LICENCES[item["package"]]}
            manifest.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debs", type=Path, help="folder with the .deb files (downloaded there if missing)")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR)
    parser.add_argument("--limit", type=int, default=MAX_PASSAGES, help="most passages to keep")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        deb_dir = arguments.debs or Path(temporary) / "debs"
        deb_dir.mkdir(parents=True, exist_ok=True)
        roots = extract_packages(deb_dir, Path(temporary) / "root")
        passages = collect(roots)
    chosen = select(passages, arguments.limit)
    write_corpus(chosen, arguments.output)
    by_package: dict[str, list[int]] = {}
    for item in chosen:
        by_package.setdefault(item["package"], []).append(len(item["text"]))
    for package, lengths in sorted(by_package.items()):
        print(f"{package:24} {len(lengths):4} passages {sum(lengths):8} characters")
    total = sum(len(item["text"]) for item in chosen)
    print(f"{'total':24} {len(chosen):4} passages {total:8} characters (of {len(passages)} found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
