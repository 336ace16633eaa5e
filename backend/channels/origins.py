"""Which web origins may embed a workspace's widget: parsing the creator's list and checking a browser's
`Origin` against it (session creation, the member socket, the chat page's `frame-ancestors`).

An origin is `scheme://host[:port]` (http or https), written the way browsers send it: lower case, no
default port, no path. `https://*.example.com` allows every subdomain of example.com (not example.com
itself), as CSP source expressions do. The API's own origin (the chat page inside the iframe and the
companion page live there) is always allowed; an empty list allows every origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host_ok(host: str) -> bool:
    if host == "localhost":
        return True
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", host):
        return all(int(p) < 256 for p in host.split("."))
    if host.startswith("[") and host.endswith("]"):  # IPv6 literal
        return re.fullmatch(r"\[[0-9a-f:.]+\]", host) is not None
    labels = host.split(".")
    return len(host) <= 253 and len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def normalize_origin(raw: str) -> str:
    """The canonical form of an origin the creator typed; ValueError with the reason when it is not one."""
    text = raw.strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError("an origin has no spaces")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("an origin starts with https:// or http://")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError("an origin is only scheme://host[:port], without a path")
    netloc = parts.netloc.lower()
    host, _, port_text = netloc.rpartition(":") if not netloc.endswith("]") and ":" in netloc else (netloc, "", "")
    wildcard = host.startswith("*.")
    if not _host_ok(host[2:] if wildcard else host) or "*" in host[2 if wildcard else 0 :]:
        raise ValueError(f"{host!r} is not a host name")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{port_text!r} is not a port")
        if int(port_text) == _DEFAULT_PORTS[scheme]:
            port_text = ""
    return f"{scheme}://{host}" + (f":{port_text}" if port_text else "")


def normalize_origins(raw: Iterable[str]) -> list[str]:
    """The list, each origin canonical, duplicates dropped, order kept; ValueError names the bad entry."""
    seen: dict[str, None] = {}
    for i, value in enumerate(raw):
        try:
            seen.setdefault(normalize_origin(value), None)
        except ValueError as exc:
            raise ValueError(f"allowed_origins[{i}] ({value[:80]!r}): {exc}") from exc
    return list(seen)


def _matches(origin: str, pattern: str) -> bool:
    if "*." not in pattern:
        return origin == pattern
    scheme, _, rest = pattern.partition("://*.")
    o_scheme, _, o_rest = origin.partition("://")
    return o_scheme == scheme and o_rest.endswith("." + rest) and len(o_rest) > len(rest) + 1


def origin_allowed(origin: str | None, allowed: Sequence[str], own: Sequence[str] = ()) -> bool:
    """May a browser page at `origin` (its `Origin` header; None when absent) use the widget?"""
    if not allowed:
        return True
    if origin is None:
        return False
    try:
        canonical = normalize_origin(origin)
    except ValueError:
        return False  # "null" (sandboxed frames, file://) and anything malformed
    if canonical in own:
        return True
    return any(_matches(canonical, pattern) for pattern in allowed)


def frame_ancestors(allowed: Sequence[str], own: Sequence[str] = ()) -> str:
    """The CSP directive for the chat page inside the iframe: the sites that may frame it (with a list, also
    the platform's own origins `own`: the hub's live preview)."""
    if not allowed:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(["'self'", *allowed, *[o for o in own if o not in allowed]])
