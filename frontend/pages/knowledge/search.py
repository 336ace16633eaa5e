"""The search tester: ask what a member might ask and see the passages the twin would cite."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api, format
from frontend.components import card, error_callout, section_title
from frontend.state import AuthState, Redirect, event


class SearchState(AuthState):
    query: str = ""
    results: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    searching: bool = False
    searched: bool = False
    search_error: str = ""

    def _search_failed(self, exc: api.ApiError) -> None:
        self.search_error = exc.detail

    @event
    async def search(self, form: dict[str, Any]) -> Any:
        q = str(form.get("q", "")).strip()
        self.query, self.search_error = q, ""
        if not q:
            self.search_error = "Type a question to search your knowledge."
            return
        self.searching = True
        yield

        async def work() -> Redirect:
            passages = await self._call(api.knowledge.search, q, 5)
            self.results = [
                {
                    "rank": i + 1,
                    "score": f"{p.score:.2f}",
                    "relevance": format.relevance(p.score),
                    "meter": max(0, min(100, round(p.score * 100))),
                    "text": format.from_sentence(p.text),
                    "href": f"/knowledge/{p.document_id}?passage={p.chunk_id}",
                    "title": p.document_title or "Untitled",
                    "location": format.location(p.location),
                }
                for i, p in enumerate(passages)
            ]
            self.searched = True
            return None

        try:
            yield await self._attempt(work, self._search_failed)
        finally:
            self.searching = False


def result_card(r: ObjectVar[dict[str, Any]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge("#", r["rank"], variant="solid", size="1"),
            rx.link(r["title"], href=r["href"].to(str), weight="medium", size="2"),
            rx.text(r["location"], size="1", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.hstack(
                rx.badge(
                    r["relevance"],
                    variant="soft",
                    color_scheme=rx.match(
                        r["relevance"],
                        ("Strong match", "green"),
                        ("Good match", "teal"),
                        ("Partial match", "amber"),
                        "gray",
                    ),
                    title="Similarity of your question to the passage's closest sentence: " + r["score"].to(str),
                ),
                rx.progress(
                    value=r["meter"].to(int), width="60px", size="1", aria_label="Relevance " + r["score"].to(str)
                ),
                align="center",
                spacing="2",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(r["text"], size="2", margin_top="6px", white_space="pre-wrap"),
        padding="12px",
        border_radius="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        data_testid="search-result",
    )


def search_card() -> rx.Component:
    return card(
        section_title("Search tester", "search"),
        rx.text("Ask what a member might ask and see which passages your twin would cite.", size="2",
                color_scheme="gray"),
        rx.form(
            rx.flex(
                rx.input(name="q", placeholder="How do I deal with anger?", flex="1", min_width="220px", size="3",
                         aria_label="Question to search for", data_testid="search-input"),
                rx.button("Search", type="submit", size="3", loading=SearchState.searching,
                          data_testid="search-submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=SearchState.search,
            width="100%",
        ),
        error_callout(SearchState.search_error),
        rx.cond(
            SearchState.searched & (SearchState.results.length() == 0),
            rx.text("No passage matched. Upload more knowledge or rephrase.", color_scheme="gray", size="2"),
        ),
        rx.foreach(SearchState.results, result_card),
    )  # fmt: skip
