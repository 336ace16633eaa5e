"""Markdown replies as plain text, for chat apps that show a message's text as typed (Telegram without a
parse mode, WhatsApp): a quote reads as a quote, emphasis marks and escapes disappear, links keep their
address. The hub and the widget render the same markdown as formatting."""

from __future__ import annotations

import re

_QUOTE = re.compile(r"^\s{0,3}>\s?(.*?)(\s*\[\d{1,2}\])?\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"(?<!\\)\[([^\[\]\n]{1,300})\]\((https?://[^\s()<>]+)\)")
_STRONG = re.compile(r"(?<![\\\w])(\*\*|__)(\S(?:.*?\S)?)(?<!\\)\1(?!\w)")
_EM = re.compile(r"(?<![\\\w*_])([*_])([^\s*_](?:.*?[^\s\\])?)\1(?![\w*_])")
_ESCAPED = re.compile(r"\\([\\`*_\[\]{}()#+\-.!>~|])")


def _inline(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _STRONG.sub(r"\2", text)
    text = _EM.sub(r"\2", text)
    return _ESCAPED.sub(r"\1", text)


def plain_text(markdown: str) -> str:
    lines = []
    for line in markdown.split("\n"):
        if quote := _QUOTE.match(line):
            body, cite = _inline(quote.group(1)).strip(), (quote.group(2) or "").strip()
            lines.append(f"“{body}”{' ' + cite if cite else ''}" if body else "")
        elif heading := _HEADING.match(line):
            lines.append(_inline(heading.group(1)))
        else:
            lines.append(_inline(line))
    return "\n".join(lines)
