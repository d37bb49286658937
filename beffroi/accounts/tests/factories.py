"""Builders of the accounts tests: a two-factor device set up through the pages, its
current code, the link in the last e-mail."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import User


def link_in_last_mail(path_prefix: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^\s]+" + re.escape(path_prefix) + r"[^\s]*", body)
    assert match, body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def setup_two_factor(client: Client, user: User) -> tuple[TOTPDevice, list[str]]:
    """Walk the setup page with a real code; returns the device and the backup codes shown."""
    client.get("/compte/double-authentification/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/compte/double-authentification/", {"code": current_code(device)})
    assert response.status_code == 200
    codes = list(response.context["codes"])
    device.refresh_from_db()
    return device, codes
