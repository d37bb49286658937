"""Normalisation of French street names and address queries.

Residents type "12 r mairie", "12bis av. du gal de gaulle" or "chemin des ecoliers"; the BAN
writes "Rue de la Mairie" and "Avenue du Général de Gaulle". Both sides go through
``normalize_street`` (lower case, no accents, abbreviations expanded, articles dropped) so
that fuzzy matching compares words that mean the same thing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Abbreviations of street types and of words frequent in French street names (La Poste's
# norm NF Z 10-011 and what people actually type). Applied to whole words only.
ABBREVIATIONS: dict[str, str] = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "ch": "chemin",
    "che": "chemin",
    "chem": "chemin",
    "rte": "route",
    "all": "allee",
    "st": "saint",
    "ste": "sainte",
    "fbg": "faubourg",
    "fg": "faubourg",
    "sq": "square",
    "ham": "hameau",
    "lot": "lotissement",
    "lotis": "lotissement",
    "res": "residence",
    "resid": "residence",
    "crs": "cours",
    "qu": "quai",
    "qua": "quai",
    "pass": "passage",
    "prom": "promenade",
    "esp": "esplanade",
    "mte": "montee",
    "sen": "sentier",
    "vla": "villa",
    "cite": "cite",
    "za": "zone artisanale",
    "zi": "zone industrielle",
    "gd": "grand",
    "gde": "grande",
    "pt": "petit",
    "pte": "petite",
    "nd": "notre dame",
    "dr": "docteur",
    "gal": "general",
    "gen": "general",
    "mal": "marechal",
    "pdt": "president",
    "pres": "president",
    "cdt": "commandant",
    "cne": "capitaine",
    "lt": "lieutenant",
    "prof": "professeur",
    "mgr": "monseigneur",
}

# Articles and prepositions carry no meaning for matching: "rue mairie" is "rue de la mairie".
STOPWORDS: frozenset[str] = frozenset(
    {"de", "du", "des", "la", "le", "les", "l", "d", "au", "aux", "a", "et"}
)

# House-number suffixes of the BAN (``rep``) and their spoken/short forms.
SUFFIXES: dict[str, str] = {
    "bis": "bis",
    "b": "bis",
    "ter": "ter",
    "t": "ter",
    "quater": "quater",
    "q": "quater",
    "quinquies": "quinquies",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")
_NUMBER_WITH_SUFFIX = re.compile(r"^(\d{1,5})([a-z]{0,9})$")
_POSTCODE = re.compile(r"^\d{5}$")


def fold(text: str) -> str:
    """Lower case, without accents or punctuation, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Ligatures and letters NFKD keeps whole (œ, æ, ß after casefold is already "ss").
    stripped = stripped.replace("œ", "oe").replace("æ", "ae")
    return _NON_WORD.sub(" ", stripped.encode("ascii", "ignore").decode("ascii")).strip()


def normalize_words(words: list[str]) -> list[str]:
    expanded: list[str] = []
    for word in words:
        expanded.extend(ABBREVIATIONS.get(word, word).split())
    return [word for word in expanded if word not in STOPWORDS]


def normalize_street(name: str) -> str:
    """The form stored in ``Street.normalized`` and compared with queries.

    >>> normalize_street("Rue de l'Église")
    'rue eglise'
    >>> normalize_street("12 r. St-Exupéry")
    '12 rue saint exupery'
    """
    return " ".join(normalize_words(fold(name).split()))


def normalize_suffix(suffix: str) -> str:
    """``"B"`` → ``"bis"``, ``"ter"`` → ``"ter"``; other letters (``"a"``) stay as they are."""
    folded = fold(suffix).replace(" ", "")
    return SUFFIXES.get(folded, folded)


@dataclass(frozen=True)
class ParsedQuery:
    number: str
    suffix: str
    postcode: str
    words: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def parse_address_query(query: str) -> ParsedQuery:
    """Split "12 bis r de la mairie 99001 valmont" into number, suffix, postcode and words.

    The house number is the first number of the query (``12``, ``12bis``, ``12 b``); a
    5-digit number is a postcode. The remaining words are normalised like street names.
    """
    tokens = fold(query).split()
    number = suffix = postcode = ""
    rest: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not postcode and _POSTCODE.match(token):
            postcode = token
        elif not number and not rest and (match := _NUMBER_WITH_SUFFIX.match(token)):
            number = str(int(match.group(1)))
            if match.group(2):
                suffix = normalize_suffix(match.group(2))
            elif index + 2 < len(tokens) and tokens[index + 1] in SUFFIXES:
                # "12 b rue …": a lone letter after the number is its suffix, unless it is
                # the only word left ("12 b" alone is more likely a typo than a street).
                suffix = normalize_suffix(tokens[index + 1])
                index += 1
        else:
            rest.append(token)
        index += 1
    return ParsedQuery(number=number, suffix=suffix, postcode=postcode, words=normalize_words(rest))
