"""Participation's uploads: the checks are the core's (beffroi.core.uploads: the type read
from the content, the size limited, images re-encoded without their metadata); the files
participation stores leave the disk with their rows."""

from __future__ import annotations

from functools import partial

from beffroi.core.uploads import (
    CheckedFile,
    FileRefused,
    attachment_checked,
    image_checked,
    max_bytes,
)

__all__ = [
    "CheckedFile",
    "FileRefused",
    "attachment_checked",
    "connect_stored_files",
    "forget_stored_files",
    "image_checked",
    "max_bytes",
]


# --- Stored files leave with their rows ----------------------------------------------------

# (model name, file fields): every upload participation keeps. A row deleted — by an agent,
# by an erasure, or with its process — takes its files with it once the deletion commits
# (nothing is lost if it rolls back).
STORED_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Process", ("illustration",)),
    ("ProcessDocument", ("file",)),
    ("ProposalFile", ("file",)),
    ("MunicipalProject", ("image",)),
    ("MilestonePhoto", ("file",)),
)


def forget_stored_files(sender: type, instance: object, **kwargs: object) -> None:
    from django.db import transaction

    fields = dict(STORED_FILES).get(sender.__name__, ())
    for name in fields:
        stored = getattr(instance, name)
        if stored and stored.name:
            transaction.on_commit(partial(stored.storage.delete, stored.name))


def connect_stored_files() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete

    for model_name, _fields in STORED_FILES:
        post_delete.connect(
            forget_stored_files,
            sender=apps.get_model("participation", model_name),
            weak=False,
            dispatch_uid=f"participation.files.{model_name}",
        )
