"""Files residents and agents upload (every domain: participation, volunteering…): the type
is read from the content, never trusted from the name or the browser, the size is limited,
and images are re-encoded.

Re-encoding (Pillow) decodes the pixels and writes a new file from them alone: no EXIF (a
phone photo's GPS position of the resident's home), no comment, no payload appended after the
image data survives. Attachments are limited to PDF and OpenDocument/Office files, whose
first bytes are checked.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

# Largest side of a stored image, in pixels: enough for a page, light for a phone.
IMAGE_MAX_SIDE = 2000
# Decompression bombs: refuse images over this many pixels before decoding them.
IMAGE_MAX_PIXELS = 40_000_000

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_ZIP_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


class FileRefused(ValueError):
    """A file that cannot be accepted; ``str()`` is a translated message for the person."""


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile[bytes]
    content_type: str
    size: int
    # A safe stored name (``<stem>.<ext>``): the uploaded name is kept only for display.
    name: str


def max_bytes() -> int:
    return int(getattr(settings, "PARTICIPATION_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def _read(upload: UploadedFile[bytes]) -> bytes:
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise FileRefused(_too_large(limit))
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(_too_large(limit))
    if not data:
        raise FileRefused(_("The file is empty."))
    return data


def _too_large(limit: int) -> str:
    return _("The file is too large: %(mb)s MB at most.") % {"mb": limit // (1024 * 1024)}


def image_checked(upload: UploadedFile[bytes], *, stem: str = "image") -> CheckedFile:
    """The image re-encoded in its own format (JPEG, PNG or WebP), oriented, shrunk to
    ``IMAGE_MAX_SIDE``, without metadata."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = _read(upload)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            width, height = probe.size
        if fmt not in IMAGE_FORMATS:
            raise FileRefused(_("Only JPEG, PNG and WebP images are accepted."))
        if width * height > IMAGE_MAX_PIXELS:
            raise FileRefused(_("The image is too large in pixels."))
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)
            image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # Pillow writes some of ``info`` back (a JPEG comment, a PNG text chunk): forget
            # everything the original carried besides its pixels.
            image.info = {}
            out = io.BytesIO()
            # A new file from the pixels alone: no exif=, no icc_profile=, no comment.
            image.save(out, format=fmt, **({"quality": 85} if fmt in ("JPEG", "WEBP") else {}))
    except FileRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FileRefused(_("This file is not a readable image.")) from exc
    content_type, ext = IMAGE_FORMATS[fmt]
    body = out.getvalue()
    return CheckedFile(ContentFile(body), content_type, len(body), f"{stem}.{ext}")


def attachment_checked(upload: UploadedFile[bytes], *, stem: str = "document") -> CheckedFile:
    """A PDF, OpenDocument or Office (docx, xlsx) file, its type read from its bytes."""
    data = _read(upload)
    content_type, ext = _sniff(data)
    return CheckedFile(ContentFile(data), content_type, len(data), f"{stem}.{ext}")


def _sniff(data: bytes) -> tuple[str, str]:
    refused = FileRefused(_("Only PDF, OpenDocument and Office (docx, xlsx) files are accepted."))
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if "mimetype" in names:
                    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                    if mimetype in _ZIP_TYPES:
                        return mimetype, _ZIP_TYPES[mimetype]
                if "[Content_Types].xml" in names:
                    for prefix, kind in _OFFICE_TYPES.items():
                        if any(n.startswith(prefix) for n in names):
                            return kind
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise refused from exc
    raise refused
