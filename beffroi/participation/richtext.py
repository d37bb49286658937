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
from django.utils.translation import gettext_lazy as _

# The help under every rich-text field typed in a plain textarea: what ``clean_html`` reads.
FORMAT_HELP = _(
    "Leave a blank line between paragraphs; start lines with “- ” for a list, “1. ” for a "
    "numbered list, “### ” for a heading. Bold and links in simple HTML are kept."
)

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4", "a"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


# Tags that make a text HTML already: without any, it is text typed in a plain textarea,
# possibly with a few inline tags (<b>, <a>) — its blank lines and list lines still count.
_BLOCK_TAG = re.compile(r"<\s*/?\s*(p|br|ul|ol|li|blockquote|h[1-6]|div|table)\b", re.I)
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")


def _text_block(block: str) -> str:
    """One blank-line-separated block of typed text as HTML: runs of "- …" lines make a
    list, runs of "1. …" lines a numbered one, "### …" a heading, "> …" lines a quote, and
    the other lines paragraphs (a line break where the person broke the line)."""
    lines = [line.rstrip() for line in block.split("\n") if line.strip()]
    if len(lines) == 1 and lines[0].startswith(("### ", "## ")):
        return "<h3>" + lines[0].lstrip("#").strip() + "</h3>"
    if all(line.startswith(">") for line in lines):
        inner = "<br>".join(line[1:].strip() for line in lines)
        return f"<blockquote><p>{inner}</p></blockquote>"

    def kind(line: str) -> str:
        if _BULLET.match(line):
            return "ul"
        if _NUMBERED.match(line):
            return "ol"
        return "p"

    runs: list[tuple[str, list[str]]] = []
    for line in lines:
        line_kind = kind(line)
        if runs and runs[-1][0] == line_kind:
            runs[-1][1].append(line)
        else:
            runs.append((line_kind, [line]))
    html = []
    for run_kind, run in runs:
        if run_kind == "ol" and len(run) == 1:
            run_kind = "p"  # "2024. Une année…" alone is a sentence, not a list
        if run_kind == "ul":
            html.append("<ul>" + "".join(f"<li>{_BULLET.sub('', x)}</li>" for x in run) + "</ul>")
        elif run_kind == "ol":
            html.append("<ol>" + "".join(f"<li>{_NUMBERED.sub('', x)}</li>" for x in run) + "</ol>")
        else:
            html.append("<p>" + "<br>".join(x.strip() for x in run) + "</p>")
    return "".join(html)


def clean_html(value: str) -> str:
    """Sanitised HTML. Typed text (no block tag) keeps its shape: blank lines make
    paragraphs, lines starting with "- " or "1. " make lists, "### " a heading; inline tags
    such as <b> or links survive (sanitised like the rest)."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        return ""
    if not _BLOCK_TAG.search(value):
        blocks = [b for b in re.split(r"\n\s*\n", value) if b.strip()]
        value = "".join(_text_block(block) for block in blocks)
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def editable_text(html: str) -> str:
    """Sanitised HTML back as text to edit in a plain textarea, in the shape ``clean_html``
    reads (paragraphs, "- " items, "1. " items, "### " headings, "> " quotes; inline tags
    kept): saving it unchanged gives the same HTML back."""
    import html as pyhtml

    if not html:
        return ""
    text = html.replace("\n", " ")
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<h[34]>(.*?)</h[34]>", lambda m: f"\n\n### {m.group(1)}\n\n", text, flags=re.S)

    def items(match: re.Match[str], numbered: bool) -> str:
        entries = re.findall(r"<li>(.*?)</li>", match.group(1), flags=re.S)
        lines = [
            (f"{i}. " if numbered else "- ") + entry.strip()
            for i, entry in enumerate(entries, start=1)
        ]
        return "\n\n" + "\n".join(lines) + "\n\n"

    text = re.sub(r"<ul>(.*?)</ul>", lambda m: items(m, False), text, flags=re.S)
    text = re.sub(r"<ol>(.*?)</ol>", lambda m: items(m, True), text, flags=re.S)

    def quote(match: re.Match[str]) -> str:
        inner = re.sub(r"</?p>", "\n", match.group(1)).strip()
        return "\n\n" + "\n".join("> " + line.strip() for line in inner.split("\n")) + "\n\n"

    text = re.sub(r"<blockquote>(.*?)</blockquote>", quote, text, flags=re.S)
    text = re.sub(r"</?p>", "\n\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    # Entities back to characters, except a "<" that would turn text into a tag.
    return re.sub(r"&(?!lt;[a-zA-Z/!])(#?\w+);", lambda m: pyhtml.unescape(m.group(0)), text)


def plain_text(value: str) -> str:
    """The text of sanitised HTML (for similarity, e-mails in text and CSV exports)."""
    import html

    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value or ""))).strip()
