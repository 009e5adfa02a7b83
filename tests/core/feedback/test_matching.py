"""Finding a rubric phrase in an answer: where negation, symbol order and swapped terms change the meaning."""

from __future__ import annotations

from bot.feedback.matching import contradicted, find, find_swapped, inverted, sentences


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


def test_a_short_phrasing_said_next_to_the_partner_term_contradicts_the_point() -> None:
    """'laplace prior' is said, but with L2 where the point says L1: the point is not made."""
    said = sentences("A Laplace prior on the weights gives the L2 penalty.")
    match = find("laplace prior", said)
    assert match is not None
    swap = contradicted("A Laplace prior gives the L1 (lasso) penalty", match)
    assert swap is not None
    assert swap.swapped == ("l1", "l2")
    assert swap.words == "laplace prior on the weights gives the l2"


def test_the_partner_term_is_no_contradiction_when_the_point_term_is_said_too() -> None:
    said = sentences("A Laplace prior gives L1, unlike the Gaussian prior behind L2.")
    match = find("laplace prior", said)
    assert match is not None
    assert contradicted("A Laplace prior gives the L1 (lasso) penalty", match) is None


def test_a_relational_word_in_another_comparison_is_no_contradiction() -> None:
    """'after' may order other things than the point's 'before' does, so it proves nothing."""
    said = sentences("Add a readiness probe and only route traffic after warm-up finishes.")
    match = find("readiness probe", said)
    assert match is not None
    assert contradicted("Warm up before the readiness probe passes", match) is None


def test_words_for_the_same_comparison_are_read_as_one() -> None:
    """'a larger beta' says what 'higher beta' says; what the person wrote is still what is shown."""
    match = find("higher beta moves further", sentences("A larger beta lets the policy move further."))
    assert match is not None
    assert match.words == "larger beta lets the policy move further"
    assert find_swapped("lower beta stays closer", sentences("A smaller beta drifts.")) is None


def test_a_misconception_is_found_in_another_form_of_its_words() -> None:
    """'stop at the first one that fails' says 'stop at the first failure' ('fail', 'failur');
    key points keep exact stems, so only the search for wrong claims, which needs every word, widens."""
    said = sentences("You stop at the first one that fails, that's why it's called step-up.")
    assert find("stop at the first failure", said, families=True) is not None
    assert find("stop at the first failure", said) is None


def test_word_families_need_a_stem_of_four_letters() -> None:
    """'ran' and 'rank' are not one word in two forms."""
    assert find("rank the p-values", sentences("We ran the p-values."), families=True) is None


def test_everyday_words_for_one_idea_match_each_other() -> None:
    """A phrasing says 'replicates' and 'accumulate'; people say 'a full copy' and 'summed'."""
    assert (
        find("replicates the full model", sentences("DDP keeps a full copy of the model on each GPU."))
        is not None
    )
    assert find("gradients accumulate", sentences("Without zeroing, the gradients are summed.")) is not None


def test_a_negator_that_starts_an_identifier_is_a_name_not_a_negation() -> None:
    """'no_grad stops recording' states what no_grad does; it is not 'grad does not stop recording'."""
    assert find("no_grad stops recording", sentences("The grad does not stop recording.")) is None
    assert (
        find("no_grad stops recording", sentences("Under torch.no_grad() autograd stops recording."))
        is not None
    )


def test_a_ratio_said_upside_down_is_found_with_both_forms() -> None:
    match = inverted("The update is scaled by alpha / r", sentences("The multiplier is r over alpha."))
    assert match is not None
    assert match.swapped == ("alpha / r", "r over alpha")


def test_a_ratio_said_the_right_way_up_is_not_inverted() -> None:
    said = sentences("The multiplier is alpha divided by r, and it shrinks as r grows.")
    assert inverted("The update is scaled by alpha / r", said) is None


def test_a_grouped_denominator_is_read_as_one_side() -> None:
    """n_samples / (n_classes * class_count): 'class count over n_samples' turns it over."""
    said = sentences("The weight is n_classes times class count over n_samples.")
    match = inverted("Weights are n_samples / (n_classes * class_count)", said)
    assert match is not None
    assert match.swapped == ("n_samples / (n_classes * class_count)", "class count over n samples")


def test_only_a_slash_in_the_rubric_is_a_ratio() -> None:
    """'IoU averaged over classes' is no ratio, so 'classes over IoU' turns nothing over."""
    assert inverted("IoU averaged over classes", sentences("Average the classes over IoU.")) is None


def test_a_slash_between_two_plain_words_is_a_pair_not_a_ratio() -> None:
    """'online/offline metrics' names two things; 'offline over online' is a preference."""
    said = sentences("I'd trust offline over online metrics here.")
    assert inverted("Compare online/offline metrics", said) is None


def test_a_negated_verb_just_after_the_phrase_denies_it() -> None:
    """'The joint distribution can't have changed' does not say the joint distribution changed."""
    said = sentences("Then the joint distribution can't have changed either.")
    assert find("joint distribution changed", said) is None
    assert find("joint distribution", said) is None


def test_a_bare_not_after_the_phrase_is_a_contrast_not_a_negation() -> None:
    assert find("use the median", sentences("Use the median not the mean.")) is not None


def test_nothing_to_do_with_negates_what_follows() -> None:
    """'It has nothing to do with per-step reliability' denies the point, it does not make it."""
    said = sentences("The failure rate has nothing to do with per-step reliability.")
    assert find("per-step reliability", said) is None


def test_one_word_of_the_question_alone_is_no_evidence() -> None:
    """Any answer repeats the question's words; a phrasing matched by one of them alone says nothing."""
    said = sentences("Missing values are just noise. Add a missing indicator column.")
    asked = frozenset({"miss", "missing", "valu", "values"})
    assert find("missing", said, asked=asked) is None
    assert find("missing", said) is not None
    assert find("missing indicator", said, asked=asked) is not None


def test_instead_of_and_rather_than_reject_what_follows() -> None:
    """'Use the median instead of the mean' says the median, and rejects the mean."""
    said = sentences("Use the median instead of the mean, rather than averaging the outliers in.")
    assert find("use the median", said) is not None
    assert find("use the mean", said) is None
    assert find("averaging the outliers", said) is None


def test_a_wrong_claim_followed_by_a_dismissal_is_rejected_not_made() -> None:
    """'Plugging c over n in is biased' names the plug-in estimate to reject it; in a key point the
    same words can be the point ('dividing by n is biased'), so only wrong claims are dismissable."""
    said = sentences("Just plugging c over n in is biased, you need the combinatorial form.")
    assert find("plugging c over n in", said, dismissable=True) is None
    assert find("plugging c over n in", said) is not None


def test_several_words_of_the_question_count_unless_none_may() -> None:
    """'Padded batch' can be the point itself; for the weakest evidence (half a point's words) the
    question's words never count alone."""
    said = sentences("Switch to padded batch.")
    asked = frozenset({"pad", "padded", "batch"})
    assert find("padded batch", said, asked=asked) is not None
    assert find("padded batch", said, asked=asked, enough_asked=float("inf")) is None


def test_a_swap_word_spelt_with_ise_is_still_a_swap_word() -> None:
    """'Supervised' reads as 'supervized' once British spellings are folded; the pair must too."""
    said = sentences("Ticket routing is unsupervised.")
    assert find("routing is supervised", said) is None
    assert find_swapped("routing is supervised", said) is not None


def test_a_swap_word_matches_its_own_inflections_but_never_its_partner() -> None:
    """'trained' says train and 'overfits' says overfit; 'test' never says train."""
    assert find("overfits on train", sentences("It overfits because it was trained too long.")) is not None
    assert find("train split", sentences("The test split.")) is None
