"""What goes out on each channel for an alert: the one definition of its texts.

The composer's preview and SMS budget, the approval checks and dispatch all read the texts
here, so what an author counted is what residents receive: the exercise marking, the
fallbacks of an empty subject or body, the STOP mention of every SMS and the e-mail footer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import override

from beffroi.alerts.models import Alert, AlertTranslation, Channel
from beffroi.messaging.email import sender_address
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url

BASE_LANGUAGE = "fr"
# The texts of an alert (and of its translations) that reach residents, the public page or
# the CAP document.
TEXT_FIELDS = ("headline", "description", "instruction", "sms_text", "email_subject", "email_body")
# A placeholder of a template: a few words in square brackets ("[heure]", "[secteur]") that
# the author replaces with the real information in the crisis. A template declares its
# placeholders by this pattern alone; an alert still holding one is refused at submission
# and approval, or residents would read "débordement attendu vers [heure]".
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]")
_LINE_BREAK = re.compile(r"\r\n?")


def normalise_newlines(text: str) -> str:
    """``text`` with every line break as "\\n": a browser submits a textarea with "\\r\\n",
    which would keep the e-mail's paragraphs (and its closing) from being found."""
    return _LINE_BREAK.sub("\n", text)


@dataclass(frozen=True)
class AlertTexts:
    headline: str
    sms: str
    subject: str
    body: str
    instruction: str
    description: str
    # The language each channel's message goes out in (see ``message_language``).
    sms_language: str = BASE_LANGUAGE
    email_language: str = BASE_LANGUAGE


def exercise_marker(alert: Alert) -> str:
    """ "EXERCICE" on every channel of an exercise (the word residents know from PCS drills,
    kept in French in every language), "TEST" on a technical test; "" for a real alert."""
    if alert.cap_status == Alert.CapStatus.EXERCISE:
        return "EXERCICE"
    if alert.cap_status == Alert.CapStatus.TEST:
        return "TEST"
    return ""


def with_marker(marker: str, text: str) -> str:
    # A plain hyphen: an en dash is not GSM-7 and would switch every exercise SMS to UCS-2.
    # A text the author already began with the marker ("EXERCICE — …") is not marked twice.
    if not marker or not text or re.match(rf"{re.escape(marker)}\b", text):
        return text
    return f"{marker} - {text}"


def placeholders(text: str) -> list[str]:
    """The placeholders left in ``text``, each once, in order."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def alert_placeholders(alert: Alert) -> list[tuple[str, str, list[str]]]:
    """(language, field, placeholders) for every text of ``alert`` that still holds one, in
    every language (the translations' own texts included)."""
    found = []
    for field in TEXT_FIELDS:
        if left := placeholders(getattr(alert, field)):
            found.append((BASE_LANGUAGE, field, left))
    for version in alert.translations.all():
        for field in TEXT_FIELDS:
            if left := placeholders(getattr(version, field)):
                found.append((version.language, field, left))
    return found


def _base_texts(
    alert: Alert, language: str, translations: Iterable[AlertTranslation] | None = None
) -> AlertTexts:
    # Texts saved before line breaks were normalised may still hold "\r\n".
    n = normalise_newlines
    texts = AlertTexts(
        headline=n(alert.headline),
        sms=n(alert.sms_text),
        subject=n(alert.email_subject),
        body=n(alert.email_body),
        instruction=n(alert.instruction),
        description=n(alert.description),
    )
    version = _translation(alert, language, translations)
    if version is None:
        return texts
    # A field left empty in a language falls back to the base text: a resident gets the
    # message in French rather than a blank one.
    return AlertTexts(
        headline=n(version.headline) or texts.headline,
        sms=n(version.sms_text) or texts.sms,
        subject=n(version.email_subject) or texts.subject,
        body=n(version.email_body) or texts.body,
        instruction=n(version.instruction) or texts.instruction,
        description=n(version.description) or texts.description,
        sms_language=message_language(alert, language, Channel.SMS, [version]),
        email_language=message_language(alert, language, Channel.EMAIL, [version]),
    )


def _translation(
    alert: Alert, language: str, translations: Iterable[AlertTranslation] | None
) -> AlertTranslation | None:
    if language == BASE_LANGUAGE:
        return None
    versions = alert.translations.all() if translations is None else translations
    return next((t for t in versions if t.language == language), None)


def message_language(
    alert: Alert,
    language: str,
    channel: str,
    translations: Iterable[AlertTranslation] | None = None,
) -> str:
    """The language of the message ``channel`` carries to a resident who chose
    ``language``: theirs when the alert has that channel's text in it, else the base
    language, and then the whole message is the base one (STOP mention, exercise notice,
    link and footer included): "To stop: reply STOP" under a French text would read as
    two messages. ``translations`` stand for the alert's own (a form not saved yet).

    The SMS is translated when its text is (or, without any SMS text, its headline); the
    e-mail when its body is (the e-mail text, or the description or instructions it is made
    of when it has none).
    """
    version = _translation(alert, language, translations)
    if version is None:
        return BASE_LANGUAGE
    if channel == Channel.SMS:
        own = version.sms_text.strip() or (not alert.sms_text.strip() and version.headline.strip())
    else:
        own = version.email_body.strip() or (
            not alert.email_body.strip()
            and (version.description.strip() or version.instruction.strip())
        )
    return language if own else BASE_LANGUAGE


def alert_texts(
    alert: Alert, language: str, translations: Iterable[AlertTranslation] | None = None
) -> AlertTexts:
    """The texts of ``alert`` in ``language`` as they go out on every channel.

    Empty subject and body fall back to the headline and the description + instructions; an
    exercise or a test is marked on each of them. ``translations`` stands for the alert's
    own (the composer's preview of a form not saved yet).
    """
    texts = _base_texts(alert, language, translations)
    notice_language = texts.email_language
    subject = texts.subject or texts.headline
    body = texts.body or "\n\n".join(p for p in (texts.description, texts.instruction) if p)
    texts = replace(texts, subject=subject, body=body)
    marker = exercise_marker(alert)
    if not marker:
        return texts
    with override(notice_language):
        notice = (
            _("This is an exercise: no real danger.")
            if alert.cap_status == Alert.CapStatus.EXERCISE
            else _("This is a technical test: no real danger.")
        )
    return replace(
        texts,
        headline=with_marker(marker, texts.headline),
        sms=with_marker(marker, texts.sms),
        subject=with_marker(marker, texts.subject),
        body=with_marker(marker, f"{notice}\n\n{texts.body}"),
        description=with_marker(marker, texts.description),
    )


def sms_stop_instructions(language: str = "fr") -> str:
    """The line SMS builders append: how to stop receiving SMS."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _("To stop: reply STOP")


def sms_suffix(language: str) -> str:
    """Appended to every SMS (the STOP mention); the composer counts it in the budget."""
    return "\n" + sms_stop_instructions(language)


def channel_texts(
    alert: Alert,
    language: str,
    channel: str,
    translations: Iterable[AlertTranslation] | None = None,
) -> AlertTexts:
    """The texts of the message ``channel`` carries to a resident who chose ``language``:
    those of the language it goes out in (``message_language``), whole."""
    language = message_language(alert, language, channel, translations)
    return alert_texts(alert, language, translations)


def outgoing_sms(texts: AlertTexts) -> str:
    """The SMS exactly as it is sent: the SMS text (the headline if it is empty) and the
    STOP mention in the language of the text."""
    return (texts.sms or texts.headline) + sms_suffix(texts.sms_language)


def sms_full_text(alert: Alert, language: str) -> str:
    """The SMS of ``alert`` sent to a resident who chose ``language``, or "" when it has no
    SMS text."""
    texts = channel_texts(alert, language, Channel.SMS)
    return outgoing_sms(texts) if texts.sms else ""


def _closing(body: str) -> tuple[str, str]:
    """``body`` split into the message and its closing ("La mairie", "Cordialement,\n\nLe
    maire"), or (body, "") when it has none.

    A closing is the last paragraph of a body of several, made of at most three short lines
    that do not end a sentence; a short paragraph ending with a comma just before it
    ("Cordialement,") belongs to it. The instructions and the link to the alert's page go
    before it: after a signature, residents stop reading.
    """
    body = normalise_newlines(body)
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(body.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return body, ""
    last = paragraphs[-1]
    lines = last.splitlines()
    if len(lines) > 3 or any(len(line) > _CLOSING_LINE for line in lines) or last[-1] in ".!?:;…":
        return body, ""
    cut = len(paragraphs) - 1
    before = paragraphs[cut - 1]
    if cut >= 2 and before.endswith(",") and len(before) <= _CLOSING_LINE:
        cut -= 1
    return "\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs[cut:])


_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_CLOSING_LINE = 60


def email_text(texts: AlertTexts, *, page_url: str = "") -> str:
    """The e-mail body without its footer: the text, the instructions (unless the text
    already holds them), the link to the alert's public page, then the text's closing; in
    the language of the text."""
    body = normalise_newlines(texts.body or texts.description or texts.headline)
    instruction = normalise_newlines(texts.instruction)
    message, closing = _closing(body)
    parts = [message]
    if instruction and instruction not in body:
        parts.append(instruction)
    if page_url:
        with translation.override(texts.email_language):
            parts.append(_("Follow this alert and its updates: %(url)s") % {"url": page_url})
    parts.append(closing)
    return "\n\n".join(part for part in parts if part)


def email_subject(texts: AlertTexts) -> str:
    return texts.subject or texts.headline


def email_footer(language: str, url: str) -> str:
    """The footer of every alert e-mail: how to stop receiving them."""
    with translation.override(language):
        return "\n\n-- \n" + _("To stop receiving these alerts: %(url)s") % {"url": url}


def email_sender(organisation: Organisation) -> str:
    """The From of the organisation's alert e-mails: its name, the configured address."""
    return sender_address(settings.ALERT_EMAIL_FROM, organisation.name)


def alert_page_url(alert: Alert) -> str:
    """The absolute link to the public page of ``alert``; "" when it is not public. An alert
    not saved yet (the composer's preview) has "…" for its number."""
    if not alert.is_public:
        return ""
    path = reverse("alerts:detail", args=[alert.pk or 1])
    if not alert.pk:
        path = path.replace("/1/", "/…/")
    return organisation_url(alert.organisation, path)


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str  # the From header, display name included
    subject: str
    text: str  # the body, footer included


def outgoing_email(alert: Alert, texts: AlertTexts, *, unsubscribe_url: str) -> OutgoingEmail:
    """The e-mail of ``alert`` with ``texts`` (``channel_texts``) as dispatch sends it to
    the resident whose unsubscribe link is ``unsubscribe_url`` (what the composer's preview
    shows)."""
    return OutgoingEmail(
        sender=email_sender(alert.organisation),
        subject=email_subject(texts),
        text=email_text(texts, page_url=alert_page_url(alert))
        + email_footer(texts.email_language, unsubscribe_url),
    )


CENT = Decimal("0.01")


def sms_unit_price() -> Decimal:
    """The price of one SMS part, in euros (``SMS_UNIT_PRICE_EUR``), exactly."""
    return Decimal(str(getattr(settings, "SMS_UNIT_PRICE_EUR", 0))).normalize()


def round_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent as an invoice does: half up (0.045 € → 0.05 €)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
