"""Comments' registrations: the GDPR export of a person's comments. (Erasure keeps the
comments, signed "a resident" once the participant is erased: others' replies depend on
them.)"""

from __future__ import annotations


def register() -> None:
    from beffroi.accounts import gdpr
    from beffroi.participation.comments.services import export_comments

    gdpr.register_exporter("participation_comments", export_comments)
