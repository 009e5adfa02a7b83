"""Finding a rubric phrase in a free-text answer: stems, typos, negation and swapped terms.

Similarity alone is the wrong tool here: "L2 gives sparse weights" is closer, letter by letter, to
"L1 gives sparse weights" than a correct paraphrase is. So a phrase matches a sentence only when every
one of its content words is there (by stem, or a near spelling for long words), its critical words —
numbers and the terms people swap (L1/L2, precision/recall, higher/lower …) — exactly, and no negation
stands just before it unless the phrase is itself negative.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz

_STEMMER = snowballstemmer.stemmer("english")
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+|\s+(?:but|whereas|while|although)\s+", re.I)
# Clause boundaries: a negation in one clause ("X aren't the same: Y does Z") says nothing of the next.
_CLAUSES = re.compile(r"[,:()\u2013\u2014]|\s-\s")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_BRITISH = re.compile(r"(?<=[a-z])is(e|ed|es|ing|ation|ations|er|ers)\b")


def _american(text: str) -> str:
    """British -ise spellings as -ize: "normalised" and "normalized" are one word to the matcher."""
    return _BRITISH.sub(lambda m: "iz" + m.group(1), text)


# "Use the median instead of the mean" rejects the mean: the two words are read as one negator.
_REJECTING = re.compile(r"\b(instead of|rather than)\b")

# Words a phrase does not need the answer to repeat ("the", "is") and words that negate what follows.
_STOP_TEXT = """a an the of to in on for and or is are be been being it its this that these those with by
as at from into than then so such can could will would should may might must do does did has have
had you your we our they their there which what when where how why if about over per each"""
_NEGATOR_TEXT = """not no never nothing without instead-of rather-than cannot neither nor don't doesn't
isn't aren't won't can't"""
STOPWORDS = frozenset(_STOP_TEXT.split())
NEGATORS = frozenset(_NEGATOR_TEXT.split())
NEGATION_WINDOW = 4
# A negated verb (can't, doesn't, cannot, never) this many words after a match, not counting
# stopwords, negates it too.
NEGATED_AFTER = 2
_VERB_NEGATORS = frozenset(("cannot", "never"))
# Words that dismiss what was just said ("plugging c/n in is biased", "that idea is a myth").
# Only for claims held as wrong (misconceptions): in a key point, "dividing by n is biased" can be
# the point itself.
_DISMISSALS = frozenset(["wrong", "incorrect", "biased", "myth", "mistake", "misleading"])
# A division in an answer ("/", "over", "divided by") and how many words either side are its terms.
_DIVISION = re.compile(r"/|\bover\b|\bdivided by\b")
RATIO_WINDOW = 3
# A partner term this many words either side of a matched phrasing is part of the same claim.
CONTRADICTION_WINDOW = 8
# A phrase's words must be said close together: at most this many words apart per word of the phrase.
MAX_GAP_PER_TERM = 3
# Pairs people swap in interviews; each is a critical word that must match exactly, and a phrase
# found with one of them replaced by its partner is reported as a swapped term.
SWAPS: dict[str, str] = {}
for _a, _b in (
    ("l1", "l2"),
    ("precision", "recall"),
    ("lasso", "ridge"),
    ("bias", "variance"),
    ("overfit", "underfit"),
    ("overfitting", "underfitting"),
    ("sensitivity", "specificity"),
    ("encoder", "decoder"),
    ("bagging", "boosting"),
    ("higher", "lower"),
    ("larger", "smaller"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("more", "fewer"),
    ("before", "after"),
    ("train", "test"),
    ("training", "inference"),
    ("keys", "queries"),
    ("row", "column"),
    ("rows", "columns"),
    # Terms interview answers confuse with their partner, so a sentence with the wrong one is wrong.
    ("sparse", "dense"),
    ("min", "max"),
    ("positives", "negatives"),
    ("numerator", "denominator"),
    ("convex", "concave"),
    ("supervised", "unsupervised"),
    ("generative", "discriminative"),
    ("stateful", "stateless"),
    ("laplace", "gaussian"),
    ("mse", "mae"),
    ("ddp", "fsdp"),
    ("prefill", "decode"),
    ("float16", "bfloat16"),
    ("fp16", "bf16"),
    ("encoder-only", "decoder-only"),
    ("compute-bound", "memory-bound"),
    ("bidirectional", "causal"),
    ("draft", "target"),
    ("view", "reshape"),
    ("jailbreak", "injection"),
    ("canary", "blue-green"),
):
    # Read as answers are (British -ise as -ize): "supervised" is "supervized" once normalised.
    SWAPS[_american(_a)], SWAPS[_american(_b)] = _american(_b), _american(_a)
# A question's own pairs (its rubric's `swaps:`, e.g. single/ward linkage, same/valid padding) are
# swapped terms for that question only: everyday words elsewhere.
Pairs = tuple[tuple[str, str], ...]
# Words people use for the same comparison; each is read as the first of its group, so "a larger beta"
# says what "higher beta" says (and contradicts "lower beta" as a swap would).
_SAME_TEXT = "higher larger bigger greater | lower smaller | more extra | fewer less"
SAME: dict[str, str] = {
    word: group.split()[0] for group in _SAME_TEXT.split("|") for word in group.split()[1:]
}
# Everyday words for one idea in ML answers, matched as one ("the losses add up" says "accumulate"
# when "up" is not needed; "average" says "mean"). Each group is read as its first word's stem.
_KIN_TEXT = """accumulate sum | average mean | copy replica replicate duplicate | shard partition
| remove drop delete discard | ignore skip | prevent avoid | calculate compute | coefficient weight
| quick fast | outlier extreme | leak leakage | cheap inexpensive | expensive costly
| choose pick select"""
_KIN: dict[str, str] = {}
for _group in _KIN_TEXT.split("|"):
    _stems = [str(_STEMMER.stemWord(w)) for w in _group.split()]
    _KIN.update({s: _stems[0] for s in _stems[1:]})
# Swappable words that relate two things (X before Y, more X than Y, at train or at test time): a
# sentence saying the partner may well be about something else, so only named terms (L1, precision,
# Laplace …) said in the partner's place count as contradicting a point.
_RELATIONAL_TEXT = """higher lower larger smaller increase decrease increases decreases more fewer
before after min max train test training inference"""
RELATIONAL = frozenset(_RELATIONAL_TEXT.split())


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    words: tuple[str, ...]  # normalised words, in order
    stems: tuple[str, ...]
    clauses: tuple[int, ...] = ()  # the clause (split at , : ( ) and dashes) each word is in
    written: tuple[str, ...] = ()  # the words as written, before same-meaning words are read as one


@dataclass(frozen=True, slots=True)
class Match:
    sentence: Sentence
    start: int  # index of the first matched word
    end: int  # index after the last matched word
    swapped: tuple[str, str] | None = None  # (the phrase's word, the word the answer used)

    @property
    def words(self) -> str:
        """The answer's words that matched, as the person wrote them (approximately)."""
        return " ".join((self.sentence.written or self.sentence.words)[self.start : self.end])


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    text = _REJECTING.sub(lambda m: m.group(1).replace(" ", "-"), text)
    return _american(text)


def sentences(answer: str) -> list[Sentence]:
    out = []
    for part in _SENTENCES.split(normalise(answer)):
        written: list[str] = []
        clauses: list[int] = []
        for index, clause in enumerate(_CLAUSES.split(part)):
            found = words_of(clause)
            written += found
            clauses += [index] * len(found)
        if written:
            words = tuple(SAME.get(w, w) for w in written)
            stems = tuple(stem(w) for w in words)
            out.append(Sentence(part.strip(), words, stems, tuple(clauses), tuple(written)))
    return out


def words_of(text: str) -> list[str]:
    """The words of a text; a negator that starts an identifier (no_grad, not_trainable) is kept as
    "no_", a word of its own, so the identifier neither negates nor is negated."""
    return [
        f"{m.group()}_" if m.group() in NEGATORS and text[m.end() : m.end() + 1] == "_" else m.group()
        for m in _WORD.finditer(text)
    ]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmed = str(_STEMMER.stemWord(word))
    return _KIN.get(stemmed, stemmed)


@lru_cache(maxsize=8192)
def phrase_terms(phrase: str, swaps: Pairs = ()) -> tuple[tuple[str, ...], bool]:
    """A phrase's content words (stems, in order) and whether the phrase itself is negative."""
    words = [SAME.get(w, w) for w in words_of(normalise(phrase))]
    negative = any(w in NEGATORS for w in words)
    return tuple(
        w if critical(w, swaps) else stem(w) for w in words if w not in STOPWORDS and w not in NEGATORS
    ), negative


def critical(word: str, swaps: Pairs = ()) -> bool:
    return word in SWAPS or any(ch.isdigit() for ch in word) or word in swap_table(swaps)


@lru_cache(maxsize=4096)
def swap_table(swaps: Pairs) -> dict[str, str]:
    """A question's own pairs, both ways round (the shared SWAPS are looked up first)."""
    pairs = [(normalise(a), normalise(b)) for a, b in swaps]
    return {word: partner for a, b in pairs for word, partner in ((a, b), (b, a))}


def partner_of(word: str, swaps: Pairs = ()) -> str | None:
    return SWAPS.get(word) or swap_table(swaps).get(word)


def find(
    phrase: str,
    in_sentences: list[Sentence],
    share: float = 1.0,
    *,
    families: bool = False,
    asked: frozenset[str] = frozenset(),
    enough_asked: float = 2,
    dismissable: bool = False,
    swaps: Pairs = (),
) -> Match | None:
    """The first sentence where the phrase is said (not negated unless the phrase is), else None.

    With share < 1, a phrase of three or more content words is also said when that share of them
    is (its critical words always), so a paraphrase that drops or changes a word still counts.
    Words of `asked` (the question's own) are no evidence alone unless there are `enough_asked` of
    them: any answer repeats the question, but "padded batch" or "load state dict" can be the point.
    A `dismissable` phrase (a wrong claim) is also denied by a dismissal just after it ("is wrong").
    `swaps` are the question's own swappable pairs: their words must be said exactly, like SWAPS'."""
    terms, negative = phrase_terms(phrase, swaps)
    if not terms:
        return None
    for sentence in in_sentences:
        positions = _positions(terms, sentence, share, families, swaps)
        if positions is None:
            continue
        if (
            asked
            and len(set(positions)) < enough_asked
            and all(_asked(sentence, at, asked) for at in positions)
        ):
            continue
        start, end = min(positions), max(positions) + 1
        if _negated(sentence, start, end, dismissable) != negative:
            continue
        return Match(sentence, start, end)
    return None


def _asked(sentence: Sentence, at: int, asked: frozenset[str]) -> bool:
    return sentence.stems[at] in asked or sentence.words[at] in asked


def find_swapped(phrase: str, in_sentences: list[Sentence], swaps: Pairs = ()) -> Match | None:
    """The phrase said with one swappable word replaced by its partner (e.g. L2 for L1)."""
    terms, negative = phrase_terms(phrase, swaps)
    for index, term in enumerate(terms):
        partner = partner_of(term, swaps)
        # With both partners in the phrase ("reshape returns a view") a swap is not a mistake.
        if partner is None or partner in terms:
            continue
        swapped_terms = (*terms[:index], partner, *terms[index + 1 :])
        for sentence in in_sentences:
            positions = _positions(swapped_terms, sentence, swaps=swaps)
            if positions is None or _negated(sentence, min(positions), max(positions) + 1) != negative:
                continue
            if term in sentence.words or term in sentence.stems:
                continue  # both said in one sentence: a comparison, not a mix-up
            return Match(sentence, min(positions), max(positions) + 1, swapped=(term, partner))
    return None


def contradicted(text: str, match: Match, swaps: Pairs = ()) -> Match | None:
    """The match widened to a swappable word of the text that the sentence says only as its partner
    nearby, e.g. the point says "a Laplace prior gives L1" and the sentence that matched "laplace
    prior" says L2 (and not L1); None when there is no such word.

    A short phrasing can match a sentence that still gets the point wrong; the point's full text
    names the terms that make it right, so the partner in their place is a swap, not coverage."""
    terms, _ = phrase_terms(text, swaps)
    sentence = match.sentence
    first = max(0, match.start - CONTRADICTION_WINDOW)
    near = sentence.words[first : match.end + CONTRADICTION_WINDOW]
    # Inflections count as the word ("buffers" says buffer), as they do when matching.
    forms = set(near) | set(sentence.stems[first : match.end + CONTRADICTION_WINDOW])
    for term in terms:
        partner = partner_of(term, swaps)
        if partner is None or partner in terms or term in RELATIONAL:
            continue
        if partner in forms and term not in forms:
            at = first + next(i for i, w in enumerate(near) if partner in (w, sentence.stems[first + i]))
            return Match(sentence, min(match.start, at), max(match.end, at + 1), swapped=(term, partner))
    return None


def inverted(text: str, in_sentences: list[Sentence]) -> Match | None:
    """A ratio of the text ("n_samples / (n_classes * class_count)", "alpha / r") said upside down
    ("class count over n_samples", "r over alpha"), with the swapped pair (the ratio as the text
    has it, as the answer has it); None when every ratio is the right way up or not said.

    Only a "/" in the text is a ratio ("averaged over classes" is not, nor is "train/test"); in an
    answer "over" and "divided by" are too. The words either side of the answer's division decide: the text's
    denominator just before it and its numerator just after."""
    normalised = normalise(text)
    for slash in re.finditer("/", normalised):
        above, below = _chunk_before(normalised[: slash.start()]), _chunk_after(normalised[slash.end() :])
        if not _formula(normalised, slash.start(), above, below):
            continue  # "train/test", "online/offline": a pair of words, not a ratio
        numerator, denominator = _ratio_term(above, last=True), _ratio_term(below, last=False)
        if numerator is None or denominator is None or numerator == denominator:
            continue
        for sentence in in_sentences:
            for division in _DIVISION.finditer(sentence.text):
                at = len(words_of(sentence.text[: division.start()]))
                left = sentence.stems[max(0, at - RATIO_WINDOW) : at]
                right = sentence.stems[at : at + RATIO_WINDOW]
                if numerator in left or denominator in right:
                    continue
                if denominator in left and numerator in right:
                    start = at - 1 - left[::-1].index(denominator)
                    end = at + right.index(numerator) + 1
                    said = " ".join((sentence.written or sentence.words)[start:end])
                    return Match(sentence, start, end, swapped=(f"{above} / {below}", said))
    return None


def _formula(text: str, at: int, above: str, below: str) -> bool:
    """A "/" with spaces both sides, or next to a symbol, number or identifier, divides."""
    spaced = text[at - 1 : at] == " " and text[at + 1 : at + 2] == " "
    symbolic = any(len(side) == 1 or any(ch in "_()0123456789" for ch in side) for side in (above, below))
    return spaced or symbolic


def _chunk_before(text: str) -> str:
    return text.rsplit(None, 1)[-1].lstrip("(") if text.strip() else ""


def _chunk_after(text: str) -> str:
    text = text.lstrip()
    if text.startswith("("):
        depth = 0
        for index, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                return text[: index + 1]
    return text.split(None, 1)[0].rstrip(",.;:)") if text else ""


def _ratio_term(chunk: str, *, last: bool) -> str | None:
    """The word standing for one side of a ratio: its last (numerator) or first (denominator)
    content word, preferring words over single-letter symbols."""
    terms = [stem(SAME.get(w, w)) for w in words_of(chunk) if w not in STOPWORDS]
    words = [t for t in terms if len(t) > 1] or terms
    if not words:
        return None
    return words[-1] if last else words[0]


def _positions(
    terms: tuple[str, ...],
    sentence: Sentence,
    share: float = 1.0,
    families: bool = False,
    swaps: Pairs = (),
) -> list[int] | None:
    """Where the terms are said closest together, if enough are said within a short span."""
    found_all = [_locations(term, sentence, families, swaps) for term in terms]
    if any(not found and critical(term, swaps) for term, found in zip(terms, found_all, strict=True)):
        return None
    options = [found for found in found_all if found]
    needed = len(terms) if len(terms) < 3 else max(2, math.ceil(share * len(terms)))
    if len(options) < needed:
        return None
    best: list[int] | None = None
    for anchor in options[0]:
        chosen = [min(found, key=lambda i: abs(i - anchor)) for found in options]
        if best is None or max(chosen) - min(chosen) < max(best) - min(best):
            best = chosen
    if best is None or max(best) - min(best) > MAX_GAP_PER_TERM * len(terms):
        return None
    if not _in_order(terms, found_all, best):
        return None
    return best


def _in_order(terms: tuple[str, ...], found_all: list[list[int]], chosen: list[int]) -> bool:
    """Single-letter symbols keep the phrase's order: "p(x)/q(x)" is not "q(x)/p(x)"."""
    said = [term for term, found in zip(terms, found_all, strict=True) if found]
    first: dict[str, int] = {}
    for term, position in zip(said, chosen, strict=True):
        if len(term) == 1 and term.isalpha():
            first.setdefault(term, position)
    positions = list(first.values())
    return positions == sorted(positions)


def _locations(term: str, sentence: Sentence, families: bool = False, swaps: Pairs = ()) -> list[int]:
    if critical(term, swaps):
        # Exactly the word, or a form of it ("trained" for train, "overfits" for overfit); never a
        # near spelling, which would take l2 for l1.
        forms = zip(sentence.words, sentence.stems, strict=True)
        return [i for i, (word, stemmed) in enumerate(forms) if term in (word, stemmed)]
    exact = [
        i
        for i, candidate in enumerate(sentence.stems)
        if candidate == term or (families and _same_family(term, candidate))
    ]
    if exact or len(term) < 5:
        return exact
    # A near spelling of a long word (typos, -ise/-ize leftovers).
    return [
        i
        for i, candidate in enumerate(sentence.stems)
        if not critical(sentence.words[i], swaps) and fuzz.ratio(term, candidate) >= 85
    ]


def _same_family(term: str, candidate: str) -> bool:
    """Stems of one word family the stemmer leaves apart ("fail" and "failur")."""
    short, long_ = sorted((term, candidate), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 2


def _negated(sentence: Sentence, start: int, end: int, dismissable: bool = False) -> bool:
    """A negation just before the matched words, or among them ("L1 does not set weights to zero"),
    or a negated verb (or, when `dismissable`, a dismissal) just after them."""
    first = max(0, start - NEGATION_WINDOW)
    clause = sentence.clauses[start] if sentence.clauses else None
    before = any(
        (w in NEGATORS or w.endswith("n't"))
        and (i >= start or clause is None or sentence.clauses[i] == clause)
        for i, w in enumerate(sentence.words[first:end], start=first)
    )
    # A negated verb just after, in the same clause, denies what is said of the matched words
    # ("the joint distribution can't have changed"); a bare "not" there is usually a contrast
    # ("use the median not the mean"), so only verb negations count.
    last_clause = sentence.clauses[end - 1] if sentence.clauses else None
    following = [(i, w) for i, w in enumerate(sentence.words[end:], start=end) if w not in STOPWORDS]
    after = any(
        (w.endswith("n't") or w in _VERB_NEGATORS or (dismissable and w in _DISMISSALS))
        and (last_clause is None or sentence.clauses[i] == last_clause)
        for i, w in following[:NEGATED_AFTER]
    )
    return before or after
