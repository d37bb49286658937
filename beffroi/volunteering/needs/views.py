"""Needs, public pages (under /benevolat/besoins/): the list of published needs with its
filters (a GET form: works without JavaScript), a need's page with the offer form, the
resident's own offers; and the organisers' pages (association managers for their
association, agents for any): write and edit a need, publish, close, mark it fulfilled or
cancel it, see its offers and accept or decline each with an answer.

Views parse, load through ``needs.access``, call one service or selector and render.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.models import Association, Need, NeedOffer, Urgency
from beffroi.volunteering.needs import access, selectors, services
from beffroi.volunteering.needs.forms import AnswerForm, NeedForm, OfferForm
from beffroi.volunteering.needs.selectors import NeedFilters
from beffroi.volunteering.needs.services import NeedRefused


def _int(value: str | None) -> int | None:
    """An integer within 64 bits (a database id's range), else None."""
    try:
        number = int((value or "")[:30])
    except ValueError:
        return None
    return number if -(2**63) < number < 2**63 else None


def _filters(request: HttpRequest, associations: list[Association]) -> NeedFilters:
    """The list's GET parameters; anything unreadable is ignored (the whole list)."""
    kind = request.GET.get("kind", "")
    urgency = request.GET.get("urgency", "")
    association_id = _int(request.GET.get("association"))
    return NeedFilters(
        kind=kind if kind in Need.Kind.values else "",
        urgency=urgency if urgency in Urgency.values else "",
        association_id=association_id if association_id in {a.pk for a in associations} else None,
    )


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in list(params):
        if name not in ("kind", "urgency", "association"):
            params.pop(name)
    return params.urlencode()


@require_GET
def need_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    associations = selectors.filter_associations(organisation=organisation)
    filters = _filters(request, associations)
    rows = selectors.needs_published(organisation=organisation, filters=filters)
    needs = list(rows[: selectors.LIST_LIMIT])
    query = _query(request)
    map_url = reverse("volunteering_needs:map")
    return render(
        request,
        "volunteering/needs/list.html",
        {
            "filters": filters,
            "needs": needs,
            "kinds": Need.Kind.choices,
            "urgencies": Urgency.choices,
            "associations": associations,
            "may_publish": access.is_needs_agent(request)
            or bool(access.managed_associations(request)),
            "placed": sum(1 for need in needs if need.lat is not None),
            "map_url": f"{map_url}?{query}" if query else map_url,
        },
    )


@require_GET
def need_map(request: HttpRequest) -> HttpResponse:
    """The list's needs placed on the map, as GeoJSON (read by the list's map script)."""
    organisation = request_organisation(request)
    filters = _filters(request, selectors.filter_associations(organisation=organisation))
    document = selectors.needs_map(organisation=organisation, filters=filters)
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/geo+json",
    )


def _detail(
    request: HttpRequest, need: Need, form: OfferForm | None, status: int = 200
) -> HttpResponse:
    associations = access.managed_associations(request)
    if form is None and request.user.is_authenticated:
        form = OfferForm(associations=[a for a in associations if a.pk != need.association_id])
    return render(
        request,
        "volunteering/needs/detail.html",
        {
            "need": need,
            "form": form,
            "live_offer": selectors.live_offer_of(need=need, user=request.user),
            "can_organise": access.can_organise(request, need),
            "login_url": f"{reverse('accounts:login')}?next={request.path}",
        },
        status=status,
    )


@require_GET
def need_detail(request: HttpRequest, need_id: int) -> HttpResponse:
    need = access.access_need(request, need_id)
    return _detail(request, need, None)


@require_POST
def offer_make(request: HttpRequest, need_id: int) -> HttpResponse:
    need = access.access_need(request, need_id)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_needs:detail", args=[need.pk]))
    assert isinstance(request.user, User)
    associations = [a for a in access.managed_associations(request) if a.pk != need.association_id]
    form = OfferForm(request.POST, associations=associations)
    if form.is_valid():
        chosen = form.association_id()
        association = next((a for a in associations if a.pk == chosen), None)
        try:
            services.need_offer_make(
                need=need,
                user=request.user,
                association=association,
                message=form.cleaned_data["message"],
                contact=form.cleaned_data["contact"],
            )
        except NeedRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your offer is sent: the organisers will answer you by e-mail.")
            )
            return redirect("volunteering_needs:detail", need.pk)
    return _detail(request, need, form, status=400)


@require_GET
def my_offers(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    offers = selectors.offers_of_user(user=request.user, organisation=organisation)
    return render(request, "volunteering/needs/mine.html", {"offers": offers})


@require_POST
def offer_withdraw(request: HttpRequest, offer_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_needs:mine"))
    offer = access.access_own_offer(request, offer_id)
    assert isinstance(request.user, User)
    try:
        services.need_offer_withdraw(offer=offer, user=request.user)
    except NeedRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your offer is withdrawn."))
    return redirect("volunteering_needs:mine")


# --- Organisers ------------------------------------------------------------------------------


@require_GET
def organised(request: HttpRequest) -> HttpResponse:
    """The needs of the associations the requester manages."""
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    associations = access.managed_associations(request)
    if not associations and not access.is_needs_agent(request):
        raise PermissionDenied
    return render(
        request,
        "volunteering/needs/organised.html",
        {
            "needs": selectors.needs_organised_by(user=request.user, organisation=organisation),
            "associations": associations,
            "is_agent": access.is_needs_agent(request),
        },
    )


def _form_associations(request: HttpRequest) -> tuple[list[Association], bool]:
    """The associations a need may be written for, and whether the commune may be chosen."""
    if access.is_needs_agent(request):
        organisation = request_organisation(request)
        return (
            list(
                Association.objects.filter(
                    organisation=organisation, status=Association.Status.VALIDATED
                ).order_by("name", "pk")
            ),
            True,
        )
    return access.managed_associations(request), False


def _manage_url(need: Need, backoffice: bool) -> str:
    if backoffice:
        return reverse("volunteering_needs_backoffice:detail", args=[need.pk])
    return reverse("volunteering_needs:manage", args=[need.pk])


def _from_backoffice(request: HttpRequest) -> bool:
    return request.POST.get("from", request.GET.get("from", "")) == "backoffice"


@require_http_methods(["GET", "POST"])
def need_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(request.user, User)
    associations, commune_allowed = _form_associations(request)
    if not associations and not commune_allowed:
        raise PermissionDenied
    form = NeedForm(
        request.POST or None, associations=associations, commune_allowed=commune_allowed
    )
    if request.method == "POST" and form.is_valid():
        association_id = form.association_id()
        association = (
            access.association_for_organiser(request, association_id)
            if association_id is not None
            else None
        )
        try:
            need = services.need_create(
                organisation=organisation,
                actor=request.user,
                data=form.as_input(),
                association=association,
            )
        except NeedRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The need is saved as a draft: publish it when it is ready.")
            )
            return redirect(_manage_url(need, _from_backoffice(request)))
    return render(
        request,
        "volunteering/needs/edit.html",
        {"form": form, "need": None, "backoffice": _from_backoffice(request)},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, need_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    need = access.access_need_for_organiser(request, need_id)
    assert isinstance(request.user, User)
    associations, commune_allowed = _form_associations(request)
    form = NeedForm(
        request.POST or None,
        associations=associations,
        commune_allowed=commune_allowed,
        need=need,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.need_update(need=need, actor=request.user, data=form.as_input())
        except NeedRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The need is saved."))
            return redirect(_manage_url(need, _from_backoffice(request)))
    return render(
        request,
        "volunteering/needs/edit.html",
        {"form": form, "need": need, "backoffice": _from_backoffice(request)},
        status=400 if request.method == "POST" else 200,
    )


def manage_context(request: HttpRequest, need: Need, *, backoffice: bool) -> dict[str, Any]:
    offers = selectors.offers_of_need(need)
    for offer in offers:
        # Each offer awaiting an answer has its own form (prefixed: unique field ids).
        offer.answer_form = (  # type: ignore[attr-defined]
            AnswerForm(prefix=f"offer-{offer.pk}")
            if offer.state == NeedOffer.State.PROPOSED
            else None
        )
    return {"need": need, "offers": offers, "backoffice": backoffice}


@require_GET
def need_manage(request: HttpRequest, need_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    need = access.access_need_for_organiser(request, need_id)
    return render(
        request, "volunteering/needs/manage.html", manage_context(request, need, backoffice=False)
    )


def _need_action(request: HttpRequest, need_id: int, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_needs:manage", args=[need_id]))
    need = access.access_need_for_organiser(request, need_id)
    assert isinstance(request.user, User)
    run, done = {
        "publish": (services.need_publish, _("The need is published.")),
        "fulfil": (services.need_fulfil, _("The need is marked as fulfilled.")),
        "close": (services.need_close, _("The need is closed.")),
        "cancel": (services.need_cancel, _("The need is cancelled.")),
    }[action]
    try:
        run(need=need, actor=request.user)
    except NeedRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(_manage_url(need, _from_backoffice(request)))


@require_POST
def need_publish(request: HttpRequest, need_id: int) -> HttpResponse:
    return _need_action(request, need_id, "publish")


@require_POST
def need_fulfil(request: HttpRequest, need_id: int) -> HttpResponse:
    return _need_action(request, need_id, "fulfil")


@require_POST
def need_close(request: HttpRequest, need_id: int) -> HttpResponse:
    return _need_action(request, need_id, "close")


@require_POST
def need_cancel(request: HttpRequest, need_id: int) -> HttpResponse:
    return _need_action(request, need_id, "cancel")


def _offer_decision(
    request: HttpRequest, need_id: int, offer_id: int, accept: bool
) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("volunteering_needs:manage", args=[need_id]))
    need = access.access_need_for_organiser(request, need_id)
    offer = access.access_offer_for_organiser(request, need, offer_id)
    assert isinstance(request.user, User)
    backoffice = _from_backoffice(request)
    form = AnswerForm(request.POST, prefix=f"offer-{offer.pk}")
    if form.is_valid():
        try:
            if accept:
                services.need_offer_accept(
                    offer=offer, actor=request.user, answer=form.cleaned_data["answer"]
                )
            else:
                services.need_offer_decline(
                    offer=offer, actor=request.user, answer=form.cleaned_data["answer"]
                )
        except NeedRefused as exc:
            form.add_error("answer", str(exc))
        else:
            messages.success(
                request,
                _("The offer is accepted; the person is told by e-mail.")
                if accept
                else _("The offer is declined; the person is told by e-mail."),
            )
            return HttpResponseRedirect(_manage_url(need, backoffice))
    context = manage_context(request, need, backoffice=backoffice)
    for shown in context["offers"]:
        if shown.pk == offer.pk:
            shown.answer_form = form
    context["form_in_error"] = form
    return render(request, "volunteering/needs/manage.html", context, status=400)


@require_POST
def offer_accept(request: HttpRequest, need_id: int, offer_id: int) -> HttpResponse:
    return _offer_decision(request, need_id, offer_id, accept=True)


@require_POST
def offer_decline(request: HttpRequest, need_id: int, offer_id: int) -> HttpResponse:
    return _offer_decision(request, need_id, offer_id, accept=False)
