"""The edit model: replay, overlap checks, round trips (hypothesis properties)."""
import pytest
from hypothesis import given, strategies as st

from jiaokan.edits import Edit, apply_edits, compose_edits, resolve_overlaps
from jiaokan.errors import EditConflictError


@st.composite
def text_and_edits(draw):
    text = draw(st.text(alphabet="甲乙丙丁ab ，\n", max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=10)))
    edits, previous = [], -1
    for start, end in zip(cuts[::2], cuts[1::2]):
        if start == previous:
            continue  # at most one insertion per point
        replacement = draw(st.text(alphabet="戊己x", max_size=3))
        edits.append(Edit(start, end, text[start:end], replacement, "rule", "repair", 0.9))
        previous = end
    return text, edits


def naive_apply(text, edits):
    """Reference: apply from the right, where earlier offsets stay valid."""
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end), reverse=True):
        text = text[:edit.start] + edit.replacement + text[edit.end:]
    return text


@given(text_and_edits())
def test_apply_matches_naive_reference(case):
    text, edits = case
    assert apply_edits(text, edits) == naive_apply(text, edits)


@given(text_and_edits(), st.randoms())
def test_apply_ignores_order(case, random):
    text, edits = case
    shuffled = list(edits)
    random.shuffle(shuffled)
    assert apply_edits(text, shuffled) == apply_edits(text, edits)


@given(text_and_edits())
def test_dict_round_trip(case):
    _, edits = case
    assert [Edit.from_dict(edit.to_dict()) for edit in edits] == edits


def test_overlap_and_mismatch_are_refused():
    text = "建档立卡卡"
    with pytest.raises(EditConflictError):
        apply_edits(text, [Edit(0, 2, "建档", "", "a", "repair", 1), Edit(1, 3, "档立", "", "b", "repair", 1)])
    with pytest.raises(EditConflictError):
        apply_edits(text, [Edit(0, 1, "X", "", "a", "repair", 1)])
    with pytest.raises(EditConflictError):
        apply_edits(text, [Edit(4, 9, "卡", "", "a", "repair", 1)])


def test_resolve_overlaps_keeps_the_better_ranked():
    first = Edit(0, 2, "建档", "x", "a", "consensus", 0.5)
    second = Edit(1, 3, "档立", "y", "b", "normalisation", 0.9)
    third = Edit(3, 3, "", "z", "c", "normalisation", 0.9)
    kept = resolve_overlaps([second, first, third], lambda edit: edit.kind != "consensus")
    assert kept == [first, third]


@st.composite
def overlapping_edits(draw, text):
    """Any edits over ``text``, overlapping or not (what several rules propose together)."""
    edits = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 3)))
        replacement = draw(st.text(alphabet="戊己x", max_size=3))
        if start < end or replacement:
            edits.append(Edit(start, end, text[start:end], replacement, draw(st.sampled_from("abc")), "normalisation", draw(st.floats(0, 1))))
    return edits


@given(st.data())
def test_resolve_overlaps_always_leaves_edits_that_apply(data):
    text = data.draw(st.text(alphabet="甲乙丙ab", max_size=12))
    kept = resolve_overlaps(data.draw(overlapping_edits(text)), lambda edit: edit.rule)
    apply_edits(text, kept)  # raises if two kept edits overlap


def test_resolve_overlaps_sees_a_replacement_behind_an_insertion_at_its_start():
    insertion, replacement = Edit(0, 0, "", "xy", "a", "repair", 0.5), Edit(0, 3, "acb", "", "a", "repair", 0.5)
    inside = Edit(2, 2, "", "x", "a", "repair", 0.5)
    assert resolve_overlaps([inside, insertion, replacement], lambda edit: edit is inside) == [insertion, replacement]


@given(st.data())
def test_composed_edits_give_what_two_passes_give(data):
    text = data.draw(st.text(alphabet="甲乙丙ab", max_size=12))
    first = resolve_overlaps(data.draw(overlapping_edits(text)), lambda edit: 0)
    middle = apply_edits(text, first)
    second = resolve_overlaps(data.draw(overlapping_edits(middle)), lambda edit: 0)
    composed = compose_edits(text, first, second)
    assert apply_edits(text, composed) == apply_edits(middle, second)
    assert all(edit.original == text[edit.start:edit.end] for edit in composed)
