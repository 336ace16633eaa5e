"""One outgoing mail, and the MIME message built from it (plain text with an HTML alternative)."""

from __future__ import annotations

import html
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import msgspec


class Mail(msgspec.Struct, frozen=True):
    """What a job carries: the rendered mail. `kind` names the template (logs, the dev mailbox)."""

    to: str
    subject: str
    text: str
    html: str
    kind: str = "notice"


def render(
    *, to: str, subject: str, kind: str, greeting: str, lines: list[str], action: tuple[str, str] | None = None,
    footer: str = "",
) -> Mail:  # fmt: skip
    """A short mail: a greeting, a few paragraphs, at most one button (label, url), and a footer line.

    The plain-text part carries the link on its own line so any mail client can open it."""
    text_parts = [greeting, "", *[p for line in lines for p in (line, "")]]
    html_parts = [f"<p>{html.escape(greeting)}</p>", *[f"<p>{html.escape(line)}</p>" for line in lines]]
    if action is not None:
        label, url = action
        text_parts += [f"{label}:", url, ""]
        safe = html.escape(url, quote=True)
        html_parts.append(
            f'<p><a href="{safe}" style="display:inline-block;padding:10px 18px;background:#2f5d50;color:#ffffff;'
            f'border-radius:6px;text-decoration:none">{html.escape(label)}</a></p>'
            f'<p style="font-size:13px;color:#555">Or copy this address into your browser:<br>{safe}</p>'
        )
    if footer:
        text_parts += ["--", footer]
        html_parts.append(f'<p style="font-size:13px;color:#555">{html.escape(footer)}</p>')
    body = "\n".join(html_parts)
    page = (
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;'
        f'line-height:1.5;color:#1d1d1d;max-width:560px">{body}</body></html>'
    )
    # Names typed by people end up in the subject: no line breaks may reach a header (header injection).
    one_line = " ".join(subject.split())[:200]
    return Mail(to=to, subject=one_line, text="\n".join(text_parts).rstrip() + "\n", html=page, kind=kind)


def build(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def masked(address: str) -> str:
    """An address as logs show it: `a***@example.com`."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError):
        return "***"
    return f"{parsed.username[:1]}***@{parsed.domain}"
