"""The offline feedback engine: key points covered or missed, wrong statements caught, a rating suggested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.content.questions import Question
from bot.content.rubric import KeyPoint, Misconception, Rubric
from bot.feedback.matching import sentences
from bot.feedback.model import FeedbackError, MisconceptionHit, PointResult
from bot.feedback.offline import assess, breadth, suggest
from bot.practice.review import SelfRating

RUBRIC = Rubric(
    key_points=(
        KeyPoint(
            "L1 drives some weights exactly to zero",
            ("l1 sparse weights", "l1 sets weights to zero", "lasso zeroes coefficients"),
        ),
        KeyPoint(
            "L2 shrinks every weight but keeps them non-zero",
            ("l2 shrinks weights", "ridge shrinks coefficients", "l2 keeps weights small"),
        ),
        KeyPoint("Use L1 for feature selection", ("l1 feature selection", "lasso selects features")),
    ),
    misconceptions=(
        Misconception(
            "L2 removes features",
            ("l2 removes features", "ridge removes features"),
            "L2 shrinks weights towards zero but almost never to exactly zero.",
        ),
    ),
)


@pytest.fixture
def question(make_question: Callable[..., Question]) -> Question:
    return replace(make_question("l1-vs-l2"), rubric=RUBRIC)


def test_a_correct_answer_covers_every_point_and_is_suggested_nailed(question: Question) -> None:
    """All key points said, nothing wrong: Nailed it, with the words that matched each point."""
    feedback = assess(
        question,
        "L1 makes the weights sparse. L2 shrinks all weights smoothly. So L1 is handy for feature selection.",
    )
    assert [p.covered for p in feedback.points] == [True, True, True]
    assert feedback.points[0].matched == "l1 makes the weights sparse"
    assert feedback.misconceptions == ()
    assert feedback.suggested is SelfRating.NAILED


def test_a_paraphrase_in_other_words_is_understood(question: Question) -> None:
    """Synonymous phrasings (lasso, ridge, coefficients) and British spellings count."""
    feedback = assess(
        question, "Lasso zeroes out many coefficients and so selects features; ridge shrinks coefficients."
    )
    assert [p.covered for p in feedback.points] == [True, True, True]


def test_swapped_terms_are_caught_not_rewarded(question: Question) -> None:
    """L2 said where the point needs L1 is a misconception, and the answer is not Nailed."""
    feedback = assess(question, "L2 gives sparse weights. L1 shrinks weights. L2 is for feature selection.")
    assert feedback.points[0].covered is False
    assert any("l2 where the point needs l1" in m.wrong for m in feedback.misconceptions)
    assert feedback.suggested is not SelfRating.NAILED


def test_a_negated_statement_does_not_cover_the_point(question: Question) -> None:
    """ "L1 does not set weights to zero" contradicts the point; it is not covered."""
    feedback = assess(question, "L1 does not set weights to zero.")
    assert feedback.points[0].covered is False


def test_a_stated_misconception_comes_with_its_correction(question: Question) -> None:
    """A known wrong statement is flagged with the one-line correction and caps the rating."""
    feedback = assess(
        question,
        "L1 gives sparse weights and helps feature selection. L2 shrinks weights; ridge removes features.",
    )
    [hit] = feedback.misconceptions
    assert hit.correction.startswith("L2 shrinks weights towards zero")
    assert hit.matched == "ridge removes features"
    assert feedback.suggested is SelfRating.PARTLY


@pytest.mark.parametrize("answer", ["I am not sure", "bananas are yellow and tasty fruit", "ok"])
def test_an_off_topic_or_tiny_answer_is_suggested_missed(question: Question, answer: str) -> None:
    assert assess(question, answer).suggested is SelfRating.MISSED


def test_an_empty_answer_is_refused_with_a_reason(question: Question) -> None:
    with pytest.raises(FeedbackError, match="empty"):
        assess(question, "   ")


def test_a_question_without_a_rubric_is_refused_with_a_reason(make_question: Callable[..., Question]) -> None:
    with pytest.raises(FeedbackError, match="no rubric"):
        assess(replace(make_question("plain"), rubric=None), "anything at all here")


def test_a_phrasing_said_with_the_partner_term_is_a_swap_not_a_covered_point(question: Question) -> None:
    """'Lasso zeroes coefficients' is a phrasing of the L1 point, but said of L2 it gets the point wrong."""
    feedback = assess(question, "Lasso zeroes coefficients because it is the L2 penalty.")
    assert feedback.points[0].covered is False
    assert [m.wrong for m in feedback.misconceptions] == ["l2 where the point needs l1"]


def test_half_of_a_points_words_said_together_covers_it_in_part(question: Question) -> None:
    """No phrasing, four of the eight words of 'L2 shrinks every weight but keeps them non-zero':
    weaker evidence, but more than nothing, so the answer is Partly rather than Missed."""
    feedback = assess(question, "L2 keeps every value non-zero.")
    assert feedback.points[1].covered is True
    assert feedback.points[1].in_part is True
    assert feedback.suggested is SelfRating.PARTLY


def test_a_point_covered_in_part_does_not_count_towards_nailed(question: Question) -> None:
    """One point said plainly and one in part is a third of the rubric said, not two thirds."""
    feedback = assess(question, "L1 gives sparse weights. L2 keeps every value non-zero.")
    assert [(p.covered, p.in_part) for p in feedback.points] == [(True, False), (True, True), (False, False)]
    assert feedback.suggested is SelfRating.PARTLY


def _points(plain: int, total: int) -> list[PointResult]:
    return [PointResult(f"point {i}", i < plain, "words" if i < plain else "") for i in range(total)]


def test_a_broad_answer_making_two_fifths_of_the_points_plainly_is_nailed() -> None:
    """Two of five points matched and a third of the rubric's words used: a right answer mostly in
    its own words, which phrasings alone would call Partly."""
    answer = "a long enough answer"
    assert suggest(_points(2, 5), [], answer, used=0.4) is SelfRating.NAILED
    assert suggest(_points(2, 5), [], answer, used=0.2) is SelfRating.PARTLY
    assert suggest(_points(1, 5), [], answer, used=0.9) is SelfRating.PARTLY


def test_a_broad_answer_that_says_something_wrong_is_not_nailed() -> None:
    hit = MisconceptionHit("L2 removes features", "l2 removes features", "It shrinks them.")
    assert suggest(_points(2, 5), [hit], "a long enough answer", used=0.9) is SelfRating.MISSED


def test_breadth_is_the_share_of_the_rubrics_own_words_the_answer_uses(question: Question) -> None:
    """Eight words (dropout, zero, random, activation, unit, scale, keep, probability), not the
    question's ('question', 'text'); order and sentence do not matter."""
    rubric = Rubric(
        key_points=(
            KeyPoint("Dropout zeroes random activations", ("random units",)),
            KeyPoint("Scale by the keep probability", ("the question text",)),
        ),
        misconceptions=(),
    )
    question = replace(question, rubric=rubric)
    asked = frozenset({"question", "text"})
    assert breadth(question, sentences("Units are zeroed. At random, by dropout."), asked) == 4 / 8
    assert breadth(question, sentences("The question text, again."), asked) == 0.0


def test_an_answer_that_only_repeats_a_word_of_the_question_covers_nothing(question: Question) -> None:
    """A key point phrased as one word the question itself uses ('sparsity' in 'why does L1 give
    sparsity?') is not covered by an answer that just says that word back."""
    rubric = Rubric(
        key_points=(KeyPoint("The L1 ball's corners meet the contours on an axis", ("sparsity", "corners")),),
        misconceptions=(),
    )
    sections = {**question.sections, "Question": "Why does L1 give sparsity and L2 not?"}
    question = replace(question, rubric=rubric, sections=sections)
    repeated = assess(question, "It is all about sparsity, that's the whole thing.")
    assert repeated.suggested is SelfRating.MISSED
    assert assess(question, "Sparsity comes from the corners of the diamond.").points[0].covered


def test_a_misconception_named_next_to_its_correction_is_refuted_not_held(question: Question) -> None:
    """'People think L2 removes features; in fact it shrinks weights, almost never to exactly zero'
    says the correction, so the wrong claim is quoted, not made."""
    feedback = assess(
        question,
        "People think L2 removes features. In fact L2 shrinks weights, and almost never to exactly zero.",
    )
    assert feedback.misconceptions == ()
    assert assess(question, "L2 removes features.").misconceptions != ()


def test_a_ratio_of_a_point_said_upside_down_is_wrong_not_covered(question: Question) -> None:
    rubric = Rubric(
        key_points=(KeyPoint("The LoRA update is scaled by alpha / r", ("scaled by alpha over r",)),),
        misconceptions=(),
    )
    feedback = assess(replace(question, rubric=rubric), "The LoRA update is scaled by r over alpha.")
    assert feedback.points[0].covered is False
    assert [m.wrong for m in feedback.misconceptions] == ["r over alpha where the point needs alpha / r"]
    assert feedback.suggested is SelfRating.MISSED


def test_a_point_said_with_the_questions_own_swap_pair_reversed_is_a_swapped_term(
    question: Question,
) -> None:
    """With `swaps: [[single, ward]]`, 'Ward linkage chains through bridges' credits nothing and
    says which word was wrong; without the pair, 'single' and 'ward' are ordinary words."""
    rubric = Rubric(
        key_points=(
            KeyPoint("Single linkage chains through bridges of nearby points", ("chains through bridges",)),
            KeyPoint("Ward minimises the variance increase", ("minimises variance",)),
        ),
        misconceptions=(),
        swaps=(("single", "ward"),),
    )
    answer = "Ward linkage chains through bridges of points. Single linkage minimises variance."
    swapped = assess(replace(question, rubric=rubric), answer)
    assert [p.covered for p in swapped.points] == [False, False]
    assert [h.wrong for h in swapped.misconceptions] == [
        "ward where the point needs single",
        "single where the point needs ward",
    ]
    assert swapped.suggested is SelfRating.MISSED
    unaware = assess(replace(question, rubric=replace(rubric, swaps=())), answer)
    assert [p.covered for p in unaware.points] == [True, True]


def test_a_correction_sharing_the_errors_words_does_not_excuse_the_error(question: Question) -> None:
    """'The default remainder is passthrough' states the error; the correction ('the default
    remainder is drop, columns you do not list disappear') shares most of its words, and only the
    correction's own words (drop, disappear …) say that the answer is refuting it."""
    wrong = Misconception(
        "The default remainder is passthrough",
        ("remainder is passthrough",),
        "The default remainder is drop: columns you do not list disappear.",
    )
    rubric = replace(RUBRIC, misconceptions=(wrong,))
    stated = assess(replace(question, rubric=rubric), "The default remainder is passthrough, so all is kept.")
    assert [h.wrong for h in stated.misconceptions] == ["The default remainder is passthrough"]
    refuted = assess(
        replace(question, rubric=rubric),
        "People say the remainder is passthrough. It is drop: columns you don't list disappear.",
    )
    assert refuted.misconceptions == ()
