"""The suggestions queue: edit, accept (the draft file `mlq content accept` writes, byte for byte)
and reject with a reason the suggester then reads on their You page."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.suggestions import draft_file
from tests.adapters.web.conftest import Client, Site
from tests.adapters.web.scenario import ADMIN, FRIEND, MEMBER

ACCEPT = {
    "question": "Why does Keras' fit() shuffle the training data by default?",
    "answer": "Shuffling each epoch stops the model learning the order of the batches.",
    "topic": "keras",
    "difficulty": "medium",
}


@pytest.fixture
async def admin(site: Site, client: Client) -> Client:
    await client.sign_in(site.link(ADMIN, admin=True))
    return client


async def test_accept_writes_the_draft_mlq_content_accept_writes(site: Site, admin: Client) -> None:
    """The file is `draft_file`'s text for the stored suggestion, where `mlq content accept` puts it."""
    number = site.seeded.member_suggestion
    status, text = await admin.post(f"/suggestions/{number}/accept", ACCEPT)
    assert status == 200 and "Accepted" in text
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.status == "accepted" and suggestion.accepted_path is not None
    path = Path(suggestion.accepted_path)
    expected_topic, identifier, expected = draft_file(suggestion, "keras", "medium", set())
    assert path == site.drafts / expected_topic / f"{identifier}.md"
    assert path.read_text(encoding="utf-8") == expected
    assert "status: draft" in expected and f"(#{number})" in expected


async def test_accept_saves_the_edits_first(site: Site, admin: Client) -> None:
    """What the moderator typed is what the draft holds (and the stored suggestion too)."""
    number = site.seeded.friend_suggestion
    edited = {
        "question": "When does early stopping help?",
        "answer": "When validation loss turns up.",
        "topic": "supervised-learning",
        "difficulty": "easy",
    }
    assert (await admin.post(f"/suggestions/{number}/accept", edited))[0] == 200
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.question == edited["question"]
    text = Path(suggestion.accepted_path or "").read_text(encoding="utf-8")
    assert "When does early stopping help?" in text and "difficulty: easy" in text
    assert Path(suggestion.accepted_path or "").parent.name == "supervised-learning"


async def test_accept_shows_what_lint_still_asks_for(site: Site, admin: Client) -> None:
    """After accepting, the page lists what `mlq content lint` wants before review."""
    _, text = await admin.post(f"/suggestions/{site.seeded.member_suggestion}/accept", ACCEPT)
    assert "Still to do before review" in text


async def test_accept_needs_a_topic(site: Site, admin: Client) -> None:
    """No topic chosen: 400, the suggestion stays new and no file is written."""
    number = site.seeded.friend_suggestion
    form = {"question": "What is early stopping?", "answer": "Stop when validation loss rises.", "topic": ""}
    status, text = await admin.post(f"/suggestions/{number}/accept", form)
    assert status == 400 and "choose a topic" in text
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.status == "new"
    assert not site.drafts.exists()


async def test_a_suggestion_is_accepted_once(site: Site, admin: Client) -> None:
    """A second accept (another tab, another admin) is 409 and writes no second file."""
    number = site.seeded.member_suggestion
    await admin.get(f"/suggestions/{number}")
    csrf = admin.csrf
    assert (await admin.post(f"/suggestions/{number}/accept", ACCEPT))[0] == 200
    admin.csrf = csrf
    status, text = await admin.post(f"/suggestions/{number}/accept", ACCEPT)
    assert status == 409 and "Already reviewed" in text
    assert len(list(site.drafts.rglob("*.md"))) == 1


async def test_a_draft_that_cannot_be_written_leaves_the_suggestion_new(site: Site, admin: Client) -> None:
    """The drafts folder is not writable (here: a file in its place): 500, saying why; still new."""
    site.drafts.write_text("not a folder", encoding="utf-8")
    number = site.seeded.member_suggestion
    status, text = await admin.post(f"/suggestions/{number}/accept", ACCEPT)
    assert status == 500 and "Not accepted" in text
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.status == "new"


async def test_save_replaces_the_text_and_labels(site: Site, admin: Client) -> None:
    """Save keeps the suggestion new with the moderator's wording."""
    number = site.seeded.friend_suggestion
    form = {
        "question": "Early stopping: when?",
        "answer": "Validation loss.",
        "topic": "keras",
        "difficulty": "hard",
    }
    status, text = await admin.post(f"/suggestions/{number}/save", form)
    assert status == 200 and "Changes saved" in text
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None
    assert (suggestion.status, suggestion.question, suggestion.topic, suggestion.difficulty) == (
        "new",
        "Early stopping: when?",
        "keras",
        "hard",
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("question", "", "the question is empty"),
        ("answer", "x" * 4001, "the answer has 4001 characters"),
        ("topic", "astrology", "unknown topic &#39;astrology&#39;"),
        ("difficulty", "impossible", "unknown difficulty &#39;impossible&#39;"),
    ],
)
async def test_save_refuses_a_bad_field_and_keeps_what_was_typed(
    site: Site, admin: Client, field: str, value: str, problem: str
) -> None:
    """A bad field: 400 naming it, the form shown again with the text typed, nothing stored."""
    number = site.seeded.friend_suggestion
    form = {
        "question": "Typed question",
        "answer": "Typed answer",
        "topic": "keras",
        "difficulty": "easy",
    } | {field: value}
    status, text = await admin.post(f"/suggestions/{number}/save", form)
    assert status == 400 and problem in text
    assert "Typed answer" in text or field == "answer"
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.question == "What is early stopping?"


async def test_reject_records_the_reason_the_suggester_reads(
    site: Site, admin: Client, other_client: Client
) -> None:
    """Rejected with a reason: the suggester's You page shows it against their suggestion."""
    number = site.seeded.friend_suggestion
    status, text = await admin.post(
        f"/suggestions/{number}/reject", {"reason": "Already in the bank as #12."}
    )
    assert status == 200 and "Rejected" in text and "Already in the bank as #12." in text
    await other_client.sign_in(site.link(FRIEND))
    _, page = await other_client.get("/")
    assert "rejected" in page and "Already in the bank as #12." in page


@pytest.mark.parametrize(("reason", "problem"), [("   ", "give a reason"), ("x" * 501, "501 characters")])
async def test_reject_needs_a_reason_of_at_most_500_characters(
    site: Site, admin: Client, reason: str, problem: str
) -> None:
    """No reason, or a very long one: 400, still new."""
    number = site.seeded.friend_suggestion
    status, text = await admin.post(f"/suggestions/{number}/reject", {"reason": reason})
    assert status == 400 and problem in text
    suggestion = await site.service.store.get_suggestion(number)
    assert suggestion is not None and suggestion.status == "new"


async def test_the_suggesters_text_is_shown_as_text(site: Site, admin: Client) -> None:
    """Markup typed into a suggestion is escaped on every page that shows it."""
    store = site.service.store
    number = await store.add_suggestion(
        f"fake:T1:{MEMBER}",
        "fake:T1:C1",
        None,
        None,
        "<script>alert(1)</script>?",
        "<b>bold</b>",
        site.clock.now(),
    )
    for path in ("/suggestions", f"/suggestions/{number}"):
        _, text = await admin.get(path)
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
