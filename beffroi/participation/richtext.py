"""Rich text written by residents and agents, made safe once, when it is saved.

An allow-list sanitiser (nh3, the Rust ``ammonia`` library): paragraphs, emphasis, lists,
quotes, headings of level 3–4 and links. Everything else — scripts, styles, event handlers,
images, iframes, ``javascript:`` URLs — is removed, and every link gets
``rel="noopener noreferrer nofollow"`` so that a proposal cannot lend the commune's site's
reputation to a spammer. The stored HTML is what pages, e-mails and the API show.
"""

from __future__ import annotations

import re

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4", "a"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def clean_html(value: str) -> str:
    """Sanitised HTML; plain text with line breaks becomes paragraphs."""
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        return ""
    if "<" not in value:
        # Plain text (a textarea without an editor): one paragraph per blank-line block.
        blocks = [b.strip() for b in value.split("\n\n") if b.strip()]
        value = "".join("<p>" + nh3.clean_text(b).replace("\n", "<br>") + "</p>" for b in blocks)
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def plain_text(value: str) -> str:
    """The text of sanitised HTML (for similarity, e-mails in text and CSV exports)."""
    import html

    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value or ""))).strip()
