"""Fixed facts of the demo commune, shared by the loader, `beffroi serve` and the tests.

Vaudrecourt-sur-Aulne does not exist: its INSEE code is in the 99xxx range, which no French
commune uses, and its postcode is unassigned. The passwords, TOTP secret and backup codes
below are public on purpose: the demo is for trying Beffroi on one's own machine, never
for an installation reachable by others.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

# Bump when the generated data changes, so `beffroi demo` knows an old demo is stale.
DEMO_VERSION = 11
SEED = 20_240_611

# The demo SMSC's sender name; the system id of the outbox's "phone", whose submits are
# residents' replies (a mobile-originated SMS) handed to a bound receiver as a deliver_sm,
# as an operator would (SMPP caps a system id at 15 characters); and the command_status of a
# reply no receiver can take (ESME_RSUBMITFAIL).
SMPP_SOURCE = "MAIRIE"
PHONE_SYSTEM_ID = "demo-phone"
NO_RECEIVER = 0x45

ORGANISATION_NAME = "Commune de Vaudrecourt-sur-Aulne"
ORGANISATION_SLUG = "vaudrecourt"
COMMUNE_NAME = "Vaudrecourt-sur-Aulne"
INSEE_CODE = "99501"
POSTCODE = "55990"
# In the Meuse valley country, between Commercy and Neufchâteau: plausible, and far from
# any city whose real addresses a tester might confuse with the demo's.
CENTRE_LON = 5.5317
CENTRE_LAT = 48.5023
DEFAULT_ZOOM = 14
HOSTS = ("localhost", "127.0.0.1")
EMAIL_DOMAIN = "vaudrecourt.example"
CONTACT_EMAIL = f"mairie@{EMAIL_DOMAIN}"
CONTACT_PHONE = "03 99 00 12 12"  # an ARCEP fiction range: rings nobody
POSTAL_ADDRESS = "Mairie de Vaudrecourt-sur-Aulne\n12 rue de la Mairie\n55990 Vaudrecourt-sur-Aulne"
# OpenStreetMap's opening_hours notation: the pages show it in the reader's language
# (beffroi/core/hours.py). The comment is the commune's own words, in French.
OPENING_HOURS = (
    "Mo,Tu,Th 09:00-12:00,14:00-17:30; "
    "We 09:00-12:00; "
    "Fr 09:00-12:00,14:00-16:30; "
    'Sa 09:30-11:30 "état civil uniquement"'
)
WEBSITE = "https://www.vaudrecourt.example/"

RESIDENT_COUNT = 300
# Every generated resident shares this password (one hash computed once: Argon2 for each of
# hundreds of accounts would take minutes).
RESIDENT_PASSWORD = "vaudrecourt-habitant"  # noqa: S105 — public demo credential

# Fixed 20-byte TOTP key of every demo agent whose role requires a second factor.
TOTP_KEY_HEX = b"beffroi-demo-totp-20".hex()
TOTP_SECRET_BASE32 = base64.b32encode(bytes.fromhex(TOTP_KEY_HEX)).decode("ascii")
BACKUP_CODES = ("vdcq7k2m", "vdcp9x4r", "vdct3w8h", "vdcn5j6s", "vdcb2h7z")


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    full_name: str
    two_factor: bool


def demo_logins() -> tuple[DemoLogin, ...]:
    from beffroi.accounts.models import TWO_FACTOR_ROLES, Role

    people = (
        (Role.ADMINISTRATOR, "admin", "Hélène Marchal"),
        (Role.ALERT_AUTHOR, "redaction", "Julien Perrin"),
        (Role.ALERT_APPROVER, "validation", "Martine Collignon"),
        (Role.SOCIAL_AGENT, "ccas", "Nadia Benali"),
        (Role.FRONT_DESK, "accueil", "Thomas Gérard"),
        (Role.MODERATOR, "moderation", "Sandrine Humbert"),
        (Role.PARTICIPATION_MANAGER, "participation", "Karine Mougenot"),
        # The demo's resident before the association's manager (a resident too): the first
        # resident of the commune is the one whose participation the demo writes.
        (Role.RESIDENT, "habitant", "Camille Renaud"),
        (Role.ASSOCIATION_MANAGER, "asso", "Pierre Lallemand"),
    )
    return tuple(
        DemoLogin(
            role=str(role),
            email=f"{local}@{EMAIL_DOMAIN}",
            password=f"vaudrecourt-{local}",
            full_name=name,
            two_factor=role in TWO_FACTOR_ROLES,
        )
        for role, local, name in people
    )


def login_lines() -> list[str]:
    """The demo's accounts as printed by ``beffroi demo`` and ``beffroi serve``."""
    lines = ["Demo accounts (e-mail / password):"]
    for login in demo_logins():
        note = "  (2FA)" if login.two_factor else ""
        lines.append(f"  {login.role:<22} {login.email:<34} {login.password}{note}")
    lines.append(
        f"  and {RESIDENT_COUNT} generated residents (…@{EMAIL_DOMAIN}), "
        f"password {RESIDENT_PASSWORD}"
    )
    lines.append(
        f"2FA: TOTP secret {TOTP_SECRET_BASE32} (add it to an authenticator app, or run "
        f"`oathtool --totp -b {TOTP_SECRET_BASE32}`)"
    )
    lines.append(f"     backup codes, each usable once: {', '.join(BACKUP_CODES)}")
    return lines
