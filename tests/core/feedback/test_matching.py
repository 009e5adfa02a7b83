"""Finding a rubric phrase in an answer: where negation, symbol order and swapped terms change the meaning."""

from __future__ import annotations

from bot.feedback.matching import find, find_swapped, sentences


def test_a_negation_in_an_earlier_clause_does_not_negate_the_next() -> None:
    """'They aren't the same: zero correlation does imply independence' states the wrong claim plainly."""
    said = sentences("Correlation and dependence aren't the same: zero correlation does imply independence.")
    assert find("zero correlation not independence", said) is None
    assert find("zero correlation implies independence", said) is not None


def test_a_negation_in_the_same_clause_still_negates() -> None:
    said = sentences("L1 does not drive weights to zero.")
    assert find("l1 drives weights to zero", said) is None


def test_single_letter_symbols_keep_their_order() -> None:
    """min(1, q/p) is a different rule from min(1, p/q), although the same letters are said."""
    right = sentences("Accept with probability min(1, p(x)/q(x)).")
    reversed_ = sentences("Accept with probability min(1, q(x)/p(x)).")
    assert find("min(1, p(x)/q(x))", right) is not None
    assert find("min(1, p(x)/q(x))", reversed_) is None


def test_confused_partner_terms_are_reported_as_swapped() -> None:
    said = sentences("DDP shards the parameters, gradients and optimizer state across the GPUs.")
    match = find_swapped("fsdp shards parameters gradients optimizer state", said)
    assert match is not None
    assert match.swapped == ("fsdp", "ddp")


def test_a_phrase_naming_both_partners_is_not_a_swap() -> None:
    """'reshape returns a view' names both words, so 'view … view' in an answer is no swapped term."""
    said = sentences("contiguous() copies into row-major layout, after which view returns a view.")
    assert find_swapped("reshape returns a view", said) is None
