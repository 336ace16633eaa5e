"""Loading a page whose endpoints a server may not offer yet (knowledge, persona, conversations)."""

from __future__ import annotations

from typing import Any, Protocol

from frontend import api
from frontend.state import Fetch


class FeatureState(Protocol):
    available: bool
    loaded: bool
    error: str

    async def _load_signed_in(self, fetch: Fetch, on_error: Any) -> Any: ...


async def load_feature(state: FeatureState, fetch: Fetch) -> Any:
    """Fetch the page's data. A missing endpoint hides the feature, another API error is shown; `loaded` is set
    unless the user is sent to sign in (that redirect is returned)."""

    async def fetch_and_show() -> None:
        await fetch()
        state.available = True

    def failed(exc: api.ApiError) -> None:
        if exc.not_available:
            state.available = False
        else:
            state.error = exc.detail

    redirect = await state._load_signed_in(fetch_and_show, failed)
    if redirect is None:
        state.loaded = True
    return redirect
