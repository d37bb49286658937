"""Reading the RNA "waldec" export (Répertoire National des Associations, data.gouv.fr).

The file is ``;``-separated, quoted with doubled quotes, CRLF, historically ISO-8859-1 (in
practice Windows-1252, whose ’ and œ French text is full of), lately UTF-8; its columns
change over the years, so they are read by name. Empty dates are often written
``0001-01-01``. ``position`` is "A" (active), "D" (dissolved) or "S" (deleted).

Nothing here writes: ``rna_rows`` splits the file into named cells (or records why the
file as a whole is not an RNA export), ``rna_parse`` turns one line into an ``RnaRow`` or a
refusal. ``services.rna_import`` does the rest.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from beffroi.core.imports import ImportReport, RefusedLine
from beffroi.territory.text import fold

RNA_NUMBER = re.compile(r"W[0-9A-Z][0-9]{8}")
REQUIRED_COLUMNS = ("id", "titre", "adrs_codeinsee")
_WIDTH = ""  # the cell that marks a line whose number of fields is not the header's
_EMPTY_DATES = {"", "0001-01-01", "00/00/0000", "01/01/0001"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_POSTCODE = re.compile(r"[0-9]{5}")
_INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")

# The waldec file abbreviates street types (FANTOIR's codes); written out, the address reads
# as people say it and is found among the BAN's.
STREET_TYPES = {
    "ALL": "allée",
    "AV": "avenue",
    "AVE": "avenue",
    "BD": "boulevard",
    "CHE": "chemin",
    "CHEM": "chemin",
    "CITE": "cité",
    "CRS": "cours",
    "FG": "faubourg",
    "HAM": "hameau",
    "IMP": "impasse",
    "LD": "lieu-dit",
    "LOT": "lotissement",
    "PAS": "passage",
    "PL": "place",
    "PLE": "passerelle",
    "QU": "quai",
    "QUAI": "quai",
    "RES": "résidence",
    "RLE": "ruelle",
    "RPT": "rond-point",
    "RTE": "route",
    "RUE": "rue",
    "SEN": "sentier",
    "SQ": "square",
    "VC": "voie communale",
    "VOIE": "voie",
}
_REPETITION = {"B": "bis", "T": "ter", "Q": "quater", "C": "quinquies"}
_SMALL_WORDS = {
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "et",
    "au",
    "aux",
    "sur",
    "sous",
    "en",
    "l",
    "d",
}

# Themes guessed from the title and purpose, by word prefixes (folded): the registry's own
# theme codes are not published with a stable table. Managers correct the guess on their
# profile; a re-import never changes activities.
_ACTIVITY_WORDS: dict[str, tuple[str, ...]] = {
    "sport": (
        "sport",
        "football",
        "foot ",
        "tennis",
        "gymnast",
        "judo",
        "karate",
        "rugby",
        "basket",
        "handball",
        "cyclo",
        "velo",
        "randonn",
        "athlet",
        "petanque",
        "natation",
        "yoga",
        "equitation",
        "escalade",
    ),
    "culture": (
        "cultur",
        "musique",
        "musical",
        "theatre",
        "chorale",
        "chant",
        "danse",
        "cinema",
        "artist",
        "arts ",
        "bibliotheque",
        "lecture",
        "harmonie",
        "fanfare",
        "photograph",
    ),
    "solidarity": (
        "solidarit",
        "entraide",
        "secours populaire",
        "restos du coeur",
        "banque alimentaire",
        "caritati",
        "insertion",
        "precarite",
        "epicerie sociale",
    ),
    "health": ("sante", "don du sang", "donneurs de sang", "malades", "soins", "alzheimer"),
    "environment": (
        "environnement",
        "nature",
        "jardin",
        "ecolog",
        "biodiversite",
        "riviere",
        "compost",
        "transition",
        "pecheurs",
    ),
    "education": ("ecole", "parents d eleves", "soutien scolaire", "educati", "formation"),
    "civil_protection": (
        "protection civile",
        "secouris",
        "pompiers",
        "sapeurs",
        "sauvetage",
        "reserve communale",
    ),
    "heritage": ("patrimoine", "histoire", "historique", "memoire", "anciens combattants", "musee"),
    "leisure": ("loisir", "comite des fetes", "fetes", "jeux", "amicale", "club "),
    "youth": ("jeune", "jeunesse", "enfant", "enfance", "periscolaire"),
    "elderly": ("aines", "seniors", "retraites", "age d or", "troisieme age"),
    "disability": ("handicap",),
    "citizenship": ("droits de", "citoyen", "consommateurs"),
    "animals": ("animaux", "animale", "felin", "canin"),
    "economy": ("commercant", "artisan", "emploi", "entreprise"),
    "international": ("jumelage", "international", "humanitaire"),
}


def guess_activities(*texts: str) -> list[str]:
    folded = f" {fold(' '.join(texts))} "
    return sorted(
        activity
        for activity, words in _ACTIVITY_WORDS.items()
        if any(f" {word}" in folded for word in words)
    )


@dataclass
class RnaRow:
    line: int
    rna: str
    name: str
    short_name: str
    purpose: str
    siren: str
    street_address: str
    address_complement: str
    postcode: str
    city: str
    insee_code: str
    website: str
    created_on: date | None
    dissolved: bool
    dissolved_on: date | None
    updated_at: str
    activities: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rna_decode(data: bytes, report: ImportReport) -> str | None:
    """The text of the file: UTF-8 when it is, else Windows-1252 (ISO-8859-1 with the
    typographic characters French files carry); None, with the problem in ``report``, for
    bytes that are neither (a UTF-16 file, a spreadsheet, a binary)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            report.problems.append(
                _(
                    "The file is neither UTF-8 nor ISO-8859-1 text (invalid byte at "
                    "position %(position)d): export it again from the RNA."
                )
                % {"position": exc.start}
            )
            return None
    control = _CONTROL.search(text)
    if control is not None:
        report.problems.append(
            _(
                "The file holds binary or control characters (at position %(position)d): "
                "it is not a text export of the RNA."
            )
            % {"position": control.start()}
        )
        return None
    return text


def _separator_problem(header_line: str) -> str | None:
    if ";" in header_line:
        return None
    for separator, name in ((",", "“,”"), ("\t", _("tabulation")), ("|", "“|”")):
        if separator in header_line:
            return _(
                "The file is separated by %(found)s: the RNA “waldec” export is separated by “;”."
            ) % {"found": name}
    return _("The file has no “;” separator: it is not the RNA “waldec” export.")


def rna_rows(data: bytes, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """Each line of the file (its number as a text editor shows it) with its cells by
    column name. Problems of the whole file go to ``report.problems`` (no rows then)."""
    text = rna_decode(data, report)
    if text is None:
        return []
    header_line = text.split("\n", 1)[0]
    problem = _separator_problem(header_line)
    if problem is not None:
        report.problems.append(problem)
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            report.problems.append(
                _(
                    "Column(s) missing: %(columns)s. Is this the RNA “waldec” export? Its "
                    "columns are read by name, in any order."
                )
                % {"columns": ", ".join(missing)}
            )
            return []
        line = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                line = reader.line_num + 1
                continue
            if len(row) != len(header):
                rows.append((line, {_WIDTH: str(len(row)), "_expected": str(len(header))}))
            else:
                rows.append((line, dict(zip(header, row, strict=True))))
            line = reader.line_num + 1
    except csv.Error as exc:
        report.problems.append(
            _("The file is not a valid CSV (line %(line)d): %(error)s")
            % {"line": reader.line_num, "error": exc}
        )
        return []
    if not rows:
        report.problems.append(_("The file has a header but no association line."))
    return rows


def _date(value: str) -> date | None:
    value = value.strip()
    if value in _EMPTY_DATES:
        return None
    for pattern in (r"(\d{4})-(\d{2})-(\d{2})", r"(\d{2})/(\d{2})/(\d{4})"):
        match = re.fullmatch(pattern, value)
        if match is not None:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if pattern.startswith(r"(\d{4})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _words(value: str, *, inside: bool = False) -> str:
    """A registry's upper-case text as it is written in French: "LA ROCHELLE" → "La
    Rochelle"; ``inside`` a phrase (a street name after its type) "DE LA GARE" → "de la
    Gare"."""
    words = []
    for index, word in enumerate(value.lower().split()):
        if (index or inside) and word in _SMALL_WORDS:
            words.append(word)
        elif "'" in word:
            head, _sep, tail = word.partition("'")
            words.append(f"{head}'{tail.capitalize()}" if head in ("l", "d") else word.capitalize())
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def _street_address(cells: dict[str, str]) -> str:
    number = cells.get("adrs_numvoie", "").strip()
    repetition = cells.get("adrs_repetition", "").strip().upper()
    kind = cells.get("adrs_typevoie", "").strip().upper()
    street = cells.get("adrs_libvoie", "").strip()
    parts = []
    if number:
        parts.append(f"{number} {_REPETITION.get(repetition, repetition.lower())}".strip())
    if kind:
        parts.append(STREET_TYPES.get(kind, kind.lower()))
    if street:
        parts.append(_words(street, inside=bool(kind)) if street.isupper() else street)
    return " ".join(parts)[:250]


def _website(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if "://" not in value:
        value = f"http://{value}"
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value[:300]


def siren_valid(siren: str) -> bool:
    """Nine digits whose Luhn checksum is right (INSEE's rule for SIREN numbers)."""
    if len(siren) != 9 or not siren.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(siren)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def rna_misshapen(cells: dict[str, str]) -> bool:
    """Whether the line's number of fields is not the header's."""
    return _WIDTH in cells


def rna_parse(line: int, cells: dict[str, str]) -> RnaRow | RefusedLine:
    if _WIDTH in cells:
        return RefusedLine(
            line,
            _("%(found)s fields where the header has %(expected)s (a “;” or a quote astray?)")
            % {"found": cells[_WIDTH], "expected": cells["_expected"]},
        )
    number = cells.get("id", "").strip().upper()
    if not RNA_NUMBER.fullmatch(number):
        return RefusedLine(
            line,
            _("“%(value)s” is not an RNA number (W followed by 9 characters)") % {"value": number},
        )
    name = " ".join(cells.get("titre", "").split())
    if not name:
        return RefusedLine(line, _("the association has no title"))
    notes: list[str] = []
    siret = "".join(cells.get("siret", "").split())
    siren = siret[:9] if len(siret) == 14 and siret.isdigit() else ""
    if siret and not siren_valid(siren):
        notes.append(_("the SIRET “%(value)s” is not valid: left out") % {"value": siret})
        siren = ""
    postcode = cells.get("adrs_codepostal", "").strip()
    if postcode and not _POSTCODE.fullmatch(postcode):
        notes.append(_("the postcode “%(value)s” is not 5 digits: left out") % {"value": postcode})
        postcode = ""
    insee = cells.get("adrs_codeinsee", "").strip().upper()
    if not _INSEE.fullmatch(insee):
        return RefusedLine(line, _("“%(value)s” is not an INSEE code") % {"value": insee})
    raw_website = cells.get("siteweb", "")
    website = _website(raw_website)
    if raw_website.strip() and not website:
        notes.append(
            _("the website “%(value)s” is not an address: left out") % {"value": raw_website}
        )
    dissolved_on = _date(cells.get("date_disso", ""))
    position = cells.get("position", "").strip().upper()
    purpose = " ".join(cells.get("objet", "").split())
    city = cells.get("adrs_libcommune", "").strip()
    complement = " ".join(
        part.strip()
        for part in (cells.get("adrs_complement", ""), cells.get("adrs_distrib", ""))
        if part.strip()
    )
    return RnaRow(
        line=line,
        rna=number,
        name=name[:250],
        short_name=" ".join(cells.get("titre_court", "").split())[:120],
        purpose=purpose,
        siren=siren,
        street_address=_street_address(cells),
        address_complement=complement[:250],
        postcode=postcode,
        city=(_words(city) if city.isupper() else city)[:200],
        insee_code=insee,
        website=website,
        created_on=_date(cells.get("date_creat", "")),
        dissolved=position in ("D", "S") or dissolved_on is not None,
        dissolved_on=dissolved_on,
        updated_at=cells.get("maj_time", "").strip()[:40],
        activities=guess_activities(name, purpose),
        notes=notes,
    )
