"""Rich text typed in a plain textarea keeps its shape, and comes back to edit unchanged."""

from __future__ import annotations

import pytest

from beffroi.participation.richtext import clean_html, editable_text


def test_typed_text_with_an_inline_tag_keeps_its_paragraphs_and_lists() -> None:
    typed = "Merci.\n\nLe budget <b>est</b> voté :\n- un banc\n- deux arbres\nEt la suite."
    assert clean_html(typed) == (
        "<p>Merci.</p><p>Le budget <b>est</b> voté :</p>"
        "<ul><li>un banc</li><li>deux arbres</li></ul><p>Et la suite.</p>"
    )


def test_numbered_lists_headings_and_quotes() -> None:
    assert clean_html("1. mesurer\n2. isoler\n\n### Suite\n\n> dit-elle") == (
        "<ol><li>mesurer</li><li>isoler</li></ol><h3>Suite</h3>"
        "<blockquote><p>dit-elle</p></blockquote>"
    )
    # A lone "2024. …" is a sentence, not a list of one.
    assert clean_html("2024. Une année") == "<p>2024. Une année</p>"


def test_html_with_blocks_is_sanitised_as_html() -> None:
    assert clean_html("<p>Un <em>texte</em></p><script>alert(1)</script><h2>Titre</h2>") == (
        "<p>Un <em>texte</em></p>Titre"
    )
    assert (
        clean_html('Voir <a href="javascript:alert(1)">ici</a>')
        == '<p>Voir <a rel="noopener noreferrer nofollow">ici</a></p>'
    )


@pytest.mark.parametrize(
    "typed",
    [
        "Premier.\n\nSecond <b>gras</b>.\n\n- a\n- b\n\n1. x\n2. y\n\n### Titre\n\n> cité",
        "a < b & c > d",
        "Ligne 1\nLigne 2",
        "Texte avec &lt;b&gt; écrit en clair",
    ],
)
def test_what_is_shown_to_edit_saves_back_to_the_same_html(typed: str) -> None:
    html = clean_html(typed)
    assert clean_html(editable_text(html)) == html
    assert "<p>" not in editable_text(html)
