"""Markdown replies as plain text for chat apps that show text as typed (Telegram, WhatsApp)."""

from __future__ import annotations

from backend.lib.plaintext import plain_text
from backend.twin.extractive import Passage, compose_extractive


def test_quotes_emphasis_escapes_and_links_read_as_plain_text() -> None:
    reply = (
        "Hear what I have written on this:\n\n"
        "> Remember *this* above all, and \\[sic\\] and 2 \\* 3 and snake\\_case. [1]\n\n"
        "> Another **bold** line with _em_ words. [2]\n\n"
        "# Also\n\nSee [the letters](https://example.com/x) now."
    )
    assert plain_text(reply) == (
        "Hear what I have written on this:\n\n"
        "“Remember this above all, and [sic] and 2 * 3 and snake_case.” [1]\n\n"
        "“Another bold line with em words.” [2]\n\n"
        "Also\n\nSee the letters (https://example.com/x) now."
    )


def test_an_offline_reply_round_trips_to_the_creators_words() -> None:
    sentence = "Use *this* and that_one well, friend, and _mark_ it."
    reply, _ = compose_extractive("q", [Passage("a", sentence, 0.5, focus=(0, 10))], None)
    assert "“Use *this* and that_one well, friend, and mark it.” [1]" in plain_text(reply)
