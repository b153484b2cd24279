"""The HTML report of `jiaokan eval`: a per-file table and a side-by-side diff per file.

One self-contained page (inline CSS, no scripts). The diff shows the texts as they are
(NFC), aligned by grapheme cluster; a difference that folding hides (，/, or a line break when
folding is on) is shown plainly, real errors are highlighted: substitutions yellow, gold
characters missing from the prediction red (left), extra predicted characters green (right).
Every piece of text is escaped.
"""
from __future__ import annotations

import html
from pathlib import Path

from jiaokan.evaluation.cer import align_clusters, fold, graphemes
from jiaokan.evaluation.evaluate import Evaluation, FileResult

STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.diff { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.diff pre { white-space: pre-wrap; word-break: break-all; border: 1px solid #ddd; padding: 0.6em; margin: 0;
            font-family: inherit; line-height: 1.7; }
.sub { background: #ffe27a; } .del { background: #ffb3b3; } .ins { background: #b6f0b6; }
h2 { margin-top: 2em; font-size: 1.1em; } .legend span { padding: 0 0.4em; margin-right: 0.6em; }
"""


def _percent(value: float) -> str:
    return f"{value:.2%}"


def _summary_table(evaluation: Evaluation) -> str:
    rows = []
    for index, result in enumerate(evaluation.files):
        errors = result.errors
        rows.append(
            f'<tr><td><a href="#file-{index}">{html.escape(result.name)}</a></td><td>{errors.reference_length}</td>'
            f"<td>{errors.distance}</td><td>{_percent(errors.cer)}</td><td>{errors.substitutions}</td>"
            f"<td>{errors.deletions}</td><td>{errors.insertions}</td></tr>"
        )
    total = evaluation.total
    rows.append(
        f"<tr><th>all {len(evaluation.files)} file(s)</th><th>{total.reference_length}</th><th>{total.distance}</th>"
        f"<th>{_percent(total.cer)}</th><th>{total.substitutions}</th><th>{total.deletions}</th>"
        f"<th>{total.insertions}</th></tr>"
    )
    header = ("<tr><th>file</th><th>gold characters</th><th>errors</th><th>CER</th><th>substitutions</th>"
              "<th>deletions</th><th>insertions</th></tr>")
    return f"<table>{header}{''.join(rows)}</table>"


def _confusion_table(evaluation: Evaluation, top: int) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(gold) or '∅'}</td><td>{html.escape(predicted) or '∅'}</td><td>{count}</td></tr>"
        for gold, predicted, count in evaluation.total.top_confusions(top)
    )
    return f"<table><tr><th>gold</th><th>predicted</th><th>count</th></tr>{rows}</table>" if rows else "<p>none</p>"


def side_by_side(result: FileResult, *, fold_width: bool, fold_whitespace: bool) -> tuple[str, str]:
    """Escaped HTML of the gold and predicted texts with their differences marked."""
    gold, predicted = graphemes(fold(result.gold, fold_width=False, fold_whitespace=False)), \
        graphemes(fold(result.predicted, fold_width=False, fold_whitespace=False))
    left: list[str] = []
    right: list[str] = []
    for tag, gold_start, gold_end, predicted_start, predicted_end in align_clusters(gold, predicted):
        gold_piece = html.escape("".join(gold[gold_start:gold_end]))
        predicted_piece = html.escape("".join(predicted[predicted_start:predicted_end]))
        folded_equal = fold("".join(gold[gold_start:gold_end]), fold_width=fold_width,
                            fold_whitespace=fold_whitespace) == fold("".join(predicted[predicted_start:predicted_end]),
                                                                     fold_width=fold_width,
                                                                     fold_whitespace=fold_whitespace)
        if tag == "equal" or folded_equal:
            left.append(gold_piece)
            right.append(predicted_piece)
        elif tag == "replace":
            left.append(f'<span class="sub">{gold_piece}</span>')
            right.append(f'<span class="sub">{predicted_piece}</span>')
        elif tag == "delete":
            left.append(f'<span class="del">{gold_piece}</span>')
        else:
            right.append(f'<span class="ins">{predicted_piece}</span>')
    return "".join(left), "".join(right)


def render_report(evaluation: Evaluation, *, title: str = "jiaokan eval", top: int = 20) -> str:
    """The whole report as one HTML string."""
    folding = (f"width folded: {'yes' if evaluation.fold_width else 'no'}; "
               f"whitespace folded: {'yes' if evaluation.fold_whitespace else 'no'}")
    sections = []
    for index, result in enumerate(evaluation.files):
        gold_html, predicted_html = side_by_side(result, fold_width=evaluation.fold_width,
                                                 fold_whitespace=evaluation.fold_whitespace)
        sections.append(
            f'<h2 id="file-{index}">{html.escape(result.name)} — CER {_percent(result.errors.cer)} '
            f"({result.errors.distance} / {result.errors.reference_length})</h2>"
            f'<div class="diff"><div><strong>gold</strong><pre>{gold_html}</pre></div>'
            f"<div><strong>prediction</strong><pre>{predicted_html}</pre></div></div>"
        )
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>Character error rate {_percent(evaluation.total.cer)} over {len(evaluation.files)} file(s), "
        f"counted over grapheme clusters; {folding}.</p>"
        f'<p class="legend"><span class="sub">substitution</span><span class="del">missing from prediction</span>'
        f'<span class="ins">extra in prediction</span></p>'
        f"{_summary_table(evaluation)}<h2>Most frequent confusions</h2>{_confusion_table(evaluation, top)}"
        f"{''.join(sections)}</body></html>"
    )


def write_report(evaluation: Evaluation, path: str | Path, **options) -> Path:
    """Write the report to ``path`` (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(evaluation, **options), encoding="utf-8")
    return path
