"""Reflex configuration of the creator hub (the `frontend` package).

`reflex run --env prod --single-port` serves the built frontend and its state backend on HUB_PORT.
The hub talks to the API at PUBLIC_API_URL (read by `frontend.api`).
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

_port = int(os.environ.get("HUB_PORT", "3000"))

config = rx.Config(
    app_name="frontend",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_port,
    backend_port=_port,
    disable_plugins=[SitemapPlugin],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="large", scaling="100%")
        ),
    ],
)
