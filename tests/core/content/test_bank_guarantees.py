"""The shipped bank: valid, covering the starting article's themes, every snippet runs as stated."""

from __future__ import annotations

import importlib
import importlib.util
import re

import pytest

from bot.content.bank import BankStats, QuestionBank
from bot.content.loader import load_questions
from bot.content.questions import Question, Snippet
from bot.content.rubric import ClaimCheck, Track
from bot.content.snippets import imported_modules, run_check, run_snippet
from bot.content.taxonomy import TOPICS, Topic
from bot.feedback.offline import assess
from tests.support.paths import CONTENT

ARTICLE_THEMES = (
    "theme-how-you-got-into-ml",
    "theme-real-data-problem",
    "theme-overfitting-underfitting",
    "theme-supervised-vs-unsupervised",
    "theme-sklearn-strengths-limits",
    "theme-tensorflow-strengths-limits",
    "theme-keras-strengths-limits",
    "theme-choosing-an-algorithm",
    "theme-failed-project",
    "theme-industry-applications",
)

# What a question's own answer is, for a concept question and for a behavioural one.
ANSWER_SECTIONS = ("Short answer", "Answer", "Example answer")


def shipped() -> list[Question]:
    return load_questions(CONTENT).questions


def test_every_shipped_file_is_valid() -> None:
    """`mlq content lint` would print nothing for the shipped bank."""
    assert [str(p) for p in load_questions(CONTENT).problems] == []


def test_the_bank_has_at_least_twenty_questions() -> None:
    """The starter bank ships at least 20 questions."""
    assert len(QuestionBank(shipped())) >= 20


@pytest.mark.parametrize("theme", ARTICLE_THEMES)
def test_each_theme_of_the_starting_article_is_covered(theme: str) -> None:
    """Every one of the ten themes has a question tagged for it."""
    assert any(theme in q.tags for q in shipped())


# Generous: the suite runs two workers per core, and a check that starts its own interpreters (a Keras
# model saved in one and loaded in another) takes about 75 s there; the limit is for hangs.
TIMEOUT = 300.0


def snippet_cases() -> list[tuple[Question, Snippet]]:
    return [(q, s) for q in shipped() for s in q.snippets if s.runs]


@pytest.mark.parametrize(
    ("question", "snippet"),
    snippet_cases(),
    ids=[f"{q.id}:{s.line}" for q, s in snippet_cases()],
)
def test_snippet_runs_and_prints_what_the_answer_says(question: Question, snippet: Snippet) -> None:
    """Each runnable snippet exits 0 and prints exactly its `output` block."""
    outcome = run_snippet(question, snippet, TIMEOUT)
    if outcome.skipped_reason:
        pytest.skip(outcome.skipped_reason)
    assert outcome.passed, f"{outcome.path}:{outcome.line}: {outcome.detail}"


def check_cases() -> list[tuple[Question, ClaimCheck]]:
    return [(q, c) for q in shipped() for c in q.checks]


@pytest.mark.parametrize(
    ("question", "check"),
    check_cases(),
    ids=[f"{q.id}:{c.line}" for q, c in check_cases()],
)
def test_every_claim_check_holds(question: Question, check: ClaimCheck) -> None:
    """Each `## Checks` block exits 0: the claims it names hold on the installed libraries."""
    outcome = run_check(question, check, TIMEOUT)
    if outcome.skipped_reason:
        pytest.skip(outcome.skipped_reason)
    assert outcome.passed, f"{outcome.path}:{outcome.line}: {outcome.detail}"


# The bank's published minimums (see content/README.md); the bank may grow, never silently shrink.
MIN_QUESTIONS = 500
SHARE_TOLERANCE = 0.02
DIFFICULTY_MIX = {"easy": 0.30, "medium": 0.50, "hard": 0.20}
DIFFICULTY_TOLERANCE = 0.05
MIN_API_QUESTIONS = 80
MIN_BEHAVIOURAL = 18
MAX_PLAIN_DEFINITIONS = 0.40
MIN_SNIPPETS = 290
MIN_OFFICIAL_SHARE = 0.90
# Floors of the 2026 interview loop (bank 2.0): share of the bank per topic group.
FLOORS = {
    ("nlp-llm",): 0.18,
    ("system-design",): 0.10,
    ("pytorch",): 0.06,
    ("mlops",): 0.07,
    ("scikit-learn", "tensorflow", "keras"): 0.18,
    ("behavioural",): 0.05,
    ("statistics-maths",): 0.07,
}
MIN_PER_TRACK = 80
# Every question has a rubric (answer feedback needs one); claim checks back every technical claim,
# so only behavioural and design questions without a library or maths claim go without them.
MIN_WITH_CHECKS = 480


@pytest.fixture(scope="module")
def stats() -> BankStats:
    return QuestionBank(shipped()).stats()


def test_the_bank_has_at_least_500_questions(stats: BankStats) -> None:
    """At least 500 active questions."""
    assert stats.total >= MIN_QUESTIONS


@pytest.mark.parametrize("topic", TOPICS, ids=[t.slug for t in TOPICS])
def test_each_topic_is_within_two_points_of_its_target(stats: BankStats, topic: Topic) -> None:
    """Every topic's share of the bank is within ±2 percentage points of its published target."""
    share = stats.by_topic.get(topic.slug, 0) / stats.total
    assert abs(share - topic.target_share) <= SHARE_TOLERANCE, f"{topic.slug}: {share:.1%}"


def test_the_difficulty_mix_is_about_30_50_20(stats: BankStats) -> None:
    """Easy, medium and hard are each within 5 points of 30/50/20."""
    for level, target in DIFFICULTY_MIX.items():
        share = stats.by_difficulty.get(level, 0) / stats.total
        assert abs(share - target) <= DIFFICULTY_TOLERANCE, f"{level}: {share:.1%}"


@pytest.mark.parametrize(("topics", "floor"), FLOORS.items(), ids=["+".join(t) for t in FLOORS])
def test_each_floor_of_the_2026_loop_is_met(stats: BankStats, topics: tuple[str, ...], floor: float) -> None:
    """LLMs ≥ 18%, system design ≥ 10%, PyTorch ≥ 6%, MLOps ≥ 7%, the three APIs ≥ 18%, …"""
    share = sum(stats.by_topic.get(t, 0) for t in topics) / stats.total
    assert share >= floor, f"{'+'.join(topics)}: {share:.1%} < {floor:.0%}"


def test_every_question_belongs_to_a_role_track() -> None:
    """`/mlquestion track NAME` can reach every question."""
    assert [q.id for q in shipped() if not q.tracks] == []


@pytest.mark.parametrize("track", list(Track), ids=[t.value for t in Track])
def test_each_track_has_at_least_80_questions(stats: BankStats, track: Track) -> None:
    assert stats.by_track.get(track.value, 0) >= MIN_PER_TRACK


# `.ci/run` runs every check that imports scikit-learn again in a venv with only the oldest supported
# scikit-learn and pandas, so such a check may not need the deep-learning libraries as well.
DEEP_LEARNING_MODULES = {"tensorflow", "keras", "torch"}


def test_scikit_learn_checks_run_without_the_deep_learning_libraries() -> None:
    """A check importing sklearn and keras would fail on the 1.6 floor: split it in two instead."""
    both = [
        f"{q.id}:{c.line}"
        for q in shipped()
        for c in q.checks
        if "sklearn" in (imported := imported_modules(c.code)) and imported & DEEP_LEARNING_MODULES
    ]
    assert both == []


def test_every_question_has_an_answer_rubric() -> None:
    """ "Check my answer" works on every question of the bank."""
    assert [q.id for q in shipped() if q.rubric is None] == []


def test_no_model_answer_sets_off_its_own_rubrics_misconceptions() -> None:
    """A question's own answer is right by definition: a misconception phrasing that fires on it
    would flag correct answers too ('… rather than rolling back', a pair named in the wrong order)."""
    flagged = []
    for question in shipped():
        answer = "\n\n".join(question.sections[name] for name in ANSWER_SECTIONS if name in question.sections)
        # As pasted into a chat box: the file's hard line breaks are not sentence ends.
        hits = assess(question, re.sub(r"(?<!\n)\n(?!\n)", " ", answer)).misconceptions
        flagged += [f"{question.id}: {hit.wrong!r} on {hit.matched!r}" for hit in hits]
    assert flagged == []


def test_claim_checks_only_grow(stats: BankStats) -> None:
    """Claims are backed by checks; the count of questions with them may not shrink."""
    assert stats.with_checks >= MIN_WITH_CHECKS


def test_behavioural_rubrics_follow_star() -> None:
    """A behavioural question's rubric is judged on Situation, Task, Action and Result."""
    for question in shipped():
        if question.is_behavioural and question.rubric is not None:
            named = {kp.point.split(":", 1)[0].lower() for kp in question.rubric.key_points}
            assert {"situation", "task", "action", "result"} <= named, question.id


def test_at_least_80_questions_on_the_library_apis(stats: BankStats) -> None:
    """scikit-learn, TensorFlow and Keras together have at least 80 questions."""
    api = sum(stats.by_topic.get(t, 0) for t in ("scikit-learn", "tensorflow", "keras"))
    assert api >= MIN_API_QUESTIONS


def test_at_least_18_behavioural_questions_use_the_behavioural_sections() -> None:
    """Behavioural questions carry the STAR sections (the loader enforces them per type)."""
    behavioural = [q for q in shipped() if q.is_behavioural]
    assert len(behavioural) >= MIN_BEHAVIOURAL
    assert all("STAR outline" in q.sections and "Red flags" in q.sections for q in behavioural)


def test_plain_what_is_questions_are_at_most_40_percent(stats: BankStats) -> None:
    """At most 40% of questions are plain definitions."""
    assert stats.plain_definitions / stats.total <= MAX_PLAIN_DEFINITIONS


def test_at_least_290_questions_carry_a_runnable_snippet(stats: BankStats) -> None:
    """At least 290 questions have code the suite executes (the count may not shrink)."""
    assert stats.with_snippet >= MIN_SNIPPETS


def test_nine_in_ten_technical_questions_cite_official_documentation(stats: BankStats) -> None:
    """At least 90% of technical questions cite official docs or the original paper."""
    assert stats.with_reference / stats.technical >= MIN_OFFICIAL_SHARE


def test_every_question_was_reviewed_by_someone_other_than_its_author() -> None:
    """Every active question is `reviewed`, with a reviewer who is not its author."""
    unreviewed = [q.id for q in shipped() if q.status == "draft"]
    assert unreviewed == []
    assert all(q.review.get("reviewer") != q.author for q in shipped())


# Reference pages generated from a library's API name an object; that object must exist in the
# installed version (a renamed or removed API is the commonest way an answer goes stale).
API_PAGES = (
    (re.compile(r"scikit-learn\.org/stable/modules/generated/(sklearn\.[\w.]+?)\.html"), "."),
    (re.compile(r"docs\.scipy\.org/doc/scipy/reference/generated/(scipy\.[\w.]+?)\.html"), "."),
    (re.compile(r"numpy\.org/doc/stable/reference/generated/(numpy\.[\w.]+?)\.html"), "."),
    (re.compile(r"pandas\.pydata\.org/docs/reference/api/(pandas\.[\w.]+?)\.html"), "."),
    (re.compile(r"tensorflow\.org/api_docs/python/tf/([\w/]+)"), "/"),
)


def api_objects() -> list[tuple[str, str]]:
    """Return (question path, dotted API name) for every reference to a generated API page."""
    found = []
    for question in shipped():
        for reference in question.references:
            for pattern, separator in API_PAGES:
                match = pattern.search(reference.url)
                if match:
                    name = match.group(1).replace(separator, ".")
                    found.append((question.path, name if separator == "." else f"tensorflow.{name}"))
    return found


def resolve(dotted: str) -> object:
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    if parts[0] == "sklearn":
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    for index, name in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: index + 1]))
    return obj


@pytest.mark.parametrize("library", ["sklearn", "scipy", "numpy", "pandas", "tensorflow"])
def test_api_reference_pages_name_objects_that_exist(library: str) -> None:
    """Every cited API page (e.g. sklearn.pipeline.Pipeline) names an object the library has."""
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed")
    wanted = [(path, name) for path, name in api_objects() if name.split(".")[0] == library]
    missing = []
    for path, name in wanted:
        try:
            resolve(name)
        except (ImportError, AttributeError):
            missing.append(f"{path}: {name}")
    assert missing == []
