"""The content view, against its definition read token by token."""
from __future__ import annotations

import random
import re

from jiaokan.script import COMPARISON_FOLD
from jiaokan.textview import DASH, ELLIPSIS, build_view

#: the view's tokens, tried in this order at each position: layout (no unit), an ellipsis
#: run, a dash run, any other single character
TOKEN = re.compile(
    r"(?P<skip>\s+|\*+|#+|_{2,}|`+)|(?P<ellipsis>[.．。…]{3,}|…{1,2}|⋯+)|(?P<dash>—+|―+|－{2,})|(?P<character>.)",
    re.DOTALL,
)


def view_by_definition(text: str) -> tuple[str, list[int], list[int]]:
    units, starts, ends = [], [], []
    for token in TOKEN.finditer(text):
        kind, value = token.lastgroup, token.group()
        if kind == "skip":
            continue
        if kind == "ellipsis":
            unit = ELLIPSIS
        elif kind == "dash":
            unit = DASH
        elif value == "." and token.start() > 0 and text[token.start() - 1].isascii() and text[token.start() - 1].isalnum():
            unit = "."  # a decimal point
        else:
            unit = value.translate(COMPARISON_FOLD)
        units.append(unit)
        starts.append(token.start())
        ends.append(token.end())
    return "".join(units), starts, ends


def test_views_follow_their_definition():
    rng = random.Random(11)
    pieces = list(",:;!?()．｡﹐.，。…⋯—―－*#_` \n\t\u3000ab1中文3") + ["..", "...", "。。。", "——", "－－", "__", "v1.2", "3.5"]
    texts = ["", "中", "。", "...", "科学论 坛，“数据”……——完。", "v1.2 版，3.5 亿。\n\n## 标题"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        view = build_view(text)
        assert (view.units, list(view.starts), list(view.ends)) == view_by_definition(text), text
        assert all(type(offset) is int for offset in (*view.starts[:3], *view.ends[:3]))
