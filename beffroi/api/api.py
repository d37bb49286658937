"""The public and agents' API, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json).

Every error is JSON ``{"detail": "<translated message>"}`` (422 adds ``errors``, mapping each
field to its messages), so that a script never has to parse an HTML error page and bad input
never becomes a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja.openapi.docs import Swagger
from pydantic import Field

import beffroi
from beffroi.accounts.access import request_organisation, user_roles
from beffroi.accounts.models import Role, User
from beffroi.api.auth import agent_token
from beffroi.api.ratelimit import ApiRateThrottle


class BeffroiSwagger(Swagger):
    """Swagger UI from the locally served assets, in a page that passes the strict CSP."""

    template = "api/swagger.html"


api = NinjaAPI(
    title="Beffroi API",
    version=beffroi.__version__,
    description=(
        "Territory, alerts, participation and volunteering of a Beffroi installation. "
        "Agents authenticate with `Authorization: Bearer bf_…` tokens created in their "
        "account; each token works only on its organisation's host name. Every client "
        "address has a per-minute request budget; past it the API answers 429 with "
        "`Retry-After`."
    ),
    urls_namespace="api",
    docs=BeffroiSwagger(settings={"tryItOutEnabled": False}),
    throttle=[ApiRateThrottle()],
)


class ErrorOut(Schema):
    detail: str


# Pydantic's messages are English only; these are the ones a client meets in practice.
_FIELD_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "string_type": gettext_lazy("Enter text."),
    "string_too_short": gettext_lazy("This value is too short."),
    "string_too_long": gettext_lazy("This value is too long."),
    "greater_than": gettext_lazy("This value is too small."),
    "greater_than_equal": gettext_lazy("This value is too small."),
    "less_than": gettext_lazy("This value is too large."),
    "less_than_equal": gettext_lazy("This value is too large."),
    "enum": gettext_lazy("Select a valid choice."),
    "literal_error": gettext_lazy("Select a valid choice."),
    "uuid_parsing": gettext_lazy("Enter a valid identifier."),
    "date_from_datetime_parsing": gettext_lazy("Enter a valid date."),
    "date_parsing": gettext_lazy("Enter a valid date."),
    "datetime_parsing": gettext_lazy("Enter a valid date and time."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "model_attributes_type": gettext_lazy("The request body must be a JSON object."),
    "dict_type": gettext_lazy("The request body must be a JSON object."),
    "list_type": gettext_lazy("Enter a list."),
}


def _field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """``{"query.lon": ["Enter a number."]}``: one key per field, like Django forms (and the
    services' ``ValidationError.message_dict``), so clients handle every 422 the same way."""
    result: dict[str, list[str]] = {}
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
        known = _FIELD_MESSAGES.get(str(error.get("type", "")))
        message = str(known) if known is not None else str(error.get("msg", ""))
        result.setdefault(field, []).append(message)
    return result


def _json_error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _field_errors(exc.errors)
    return _json_error(request, 422, _("The request is invalid."), errors=errors)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    return _json_error(request, 422, _("The request is invalid."), errors=errors)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json_error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _json_error(request, 403, _("You are not allowed to do this."))


@api.exception_handler(AuthorizationError)
def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return _json_error(request, 403, _("You are not allowed to do this."))


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _json_error(
        request,
        401,
        _("Authentication required: send an agent's API token as “Authorization: Bearer …”."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="beffroi"'
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _json_error(request, 429, _("Too many requests: please wait and try again."))
    if exc.wait is not None:
        response["Retry-After"] = str(max(1, int(exc.wait)))
    return response


_HTTP_MESSAGES: dict[int, Any] = {
    400: gettext_lazy("The request is malformed."),
    401: gettext_lazy("Authentication required."),
    403: gettext_lazy("You are not allowed to do this."),
    404: gettext_lazy("Not found."),
    405: gettext_lazy("This method is not allowed here."),
    409: gettext_lazy("This conflicts with the current state."),
    413: gettext_lazy("The request is too large."),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Endpoints raise HttpError with a message already translated; ninja's own (e.g. an
    # unparsable body) are English, so those get ours.
    message = str(exc.message)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("The request body is not valid JSON.")
    elif message in {"", "Unauthorized", "Forbidden", "Not Found"}:
        message = str(_HTTP_MESSAGES.get(exc.status_code, message))
    return _json_error(request, exc.status_code, message)


class OrganisationRef(Schema):
    slug: str
    name: str


class MeOut(Schema):
    email: str
    full_name: str
    organisation: OrganisationRef
    roles: list[str] = Field(description="Role codes held in this organisation.")


class CommuneOut(Schema):
    insee_code: str
    name: str
    postcode: str


class ContactOut(Schema):
    email: str
    phone: str
    postal_address: str
    opening_hours: str
    website: str


class CentreOut(Schema):
    lat: float
    lon: float
    zoom: int


class OrganisationOut(Schema):
    name: str
    slug: str
    kind: str
    communes: list[CommuneOut]
    contact: ContactOut
    centre: CentreOut


@api.get(
    "/me",
    auth=agent_token,
    response={200: MeOut, 401: ErrorOut, 429: ErrorOut},
    summary="The agent owning the token",
    tags=["account"],
)
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    organisation = request_organisation(request)
    roles = user_roles(user, organisation)
    return {
        "email": user.email,
        "full_name": user.full_name,
        "organisation": {"slug": organisation.slug, "name": organisation.name},
        "roles": [role.value for role in Role if role.value in roles],
    }


@api.get(
    "/organisation",
    response={200: OrganisationOut, 404: ErrorOut, 429: ErrorOut},
    summary="The organisation answering on this host name",
    tags=["territory"],
)
def organisation(request: HttpRequest) -> dict[str, Any]:
    org = request_organisation(request)
    return {
        "name": org.name,
        "slug": org.slug,
        "kind": org.kind,
        "communes": [
            {"insee_code": c.insee_code, "name": c.name, "postcode": c.postcode}
            for c in org.communes.order_by("name")
        ],
        "contact": {
            "email": org.contact_email,
            "phone": org.contact_phone,
            "postal_address": org.postal_address,
            "opening_hours": org.opening_hours,
            "website": org.website,
        },
        "centre": {"lat": org.center_lat, "lon": org.center_lon, "zoom": org.default_zoom},
    }


# Domain routers, mounted last so that their operations inherit the API's throttle and
# error handlers.
from beffroi.api.territory import router as territory_router  # noqa: E402

api.add_router("/territory/", territory_router)

from beffroi.api.alerts import router as alerts_router  # noqa: E402

api.add_router("/alerts/", alerts_router)
from beffroi.api.subscriptions import router as subscriptions_router  # noqa: E402

api.add_router("/subscriptions/", subscriptions_router)
from beffroi.api.participation import router as participation_router  # noqa: E402

api.add_router("/participation/", participation_router)
from beffroi.api.budgets import router as budgets_router  # noqa: E402

api.add_router("/participation/", budgets_router)
from beffroi.api.realisations import router as realisations_router  # noqa: E402

api.add_router("/participation/", realisations_router)
from beffroi.api.volunteering import router as volunteering_router  # noqa: E402

api.add_router("/volunteering/", volunteering_router)
