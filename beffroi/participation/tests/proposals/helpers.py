"""Helpers of the proposals tests: uploads, an EXIF-laden photo, XSS payloads."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '"><svg onload=alert(3)>',
    '<a href="javascript:alert(4)">clic</a>',
    '<iframe src="https://evil.example"></iframe>',
    "{{ 7|add:7 }}<style>body{display:none}</style>",
]


def jpeg_with_gps(name: str = "photo.jpg", *, comment: bytes = b"") -> SimpleUploadedFile:
    """A JPEG carrying EXIF with a GPS position (what a phone writes), and a comment."""
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (45.0, 30.0, 12.5), 3: "E", 4: (4.0, 51.0, 3.25)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, format="JPEG", exif=exif.tobytes(), **extra)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def png(name: str = "plan.png") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pdf(name: str = "devis.pdf", size: int = 0) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    if size > len(body):
        body += b"0" * (size - len(body))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def fake_pdf(name: str = "devis.pdf") -> SimpleUploadedFile:
    """An HTML page pretending to be a PDF by its name and declared type."""
    return SimpleUploadedFile(
        name, b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
