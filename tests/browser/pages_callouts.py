"""Call-outs and the civil-protection reserve in the accessibility table, on the demo's
(beffroi/demo/volunteering_callouts.py): six reservists, a training session with its
attendance, and the call-out of last spring's flood with its answers."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser.pages import ALERT_APPROVER, ANONYMOUS, PageSpec, submit_with, url

ASSOCIATION_MANAGER = "association_manager"
PUBLIC = "volunteering_callouts"
BO = "volunteering_callouts_backoffice"
RESERVE = "volunteering_reserve_backoffice"
SUBMIT = "main form[method=post] button[type=submit]"


def _callout() -> int:
    from beffroi.volunteering.models import CallOut

    callout = CallOut.objects.order_by("pk").first()
    assert callout is not None, "the data has no call-out"
    return callout.pk


def _answer(state: str) -> Callable[[], str]:
    def resolve() -> str:
        from beffroi.volunteering.models import CallOutContact

        contact = CallOutContact.objects.filter(state=state).order_by("pk").first()
        assert contact is not None, f"the data has no call-out contact {state}"
        return url(f"{PUBLIC}:answer", contact.token)

    return resolve


def _reservist() -> int:
    from beffroi.volunteering.models import ReserveMember

    member = ReserveMember.objects.order_by("pk").first()
    assert member is not None, "the data has no reservist"
    return member.pk


def _training() -> int:
    from beffroi.volunteering.models import TrainingSession

    session = TrainingSession.objects.order_by("pk").first()
    assert session is not None, "the data has no training session"
    return session.pk


PAGES_CALLOUTS: list[PageSpec] = [
    # The crisis cell.
    PageSpec(lambda: url(f"{BO}:list"), ALERT_APPROVER, "call-outs for volunteers (back office)"),
    PageSpec(lambda: url(f"{BO}:start"), ALERT_APPROVER, "call volunteers out"),
    PageSpec(
        lambda: url(f"{BO}:start"),
        ALERT_APPROVER,
        "call volunteers out sent empty",
        prepare=submit_with(SUBMIT),
    ),
    PageSpec(
        lambda: url(f"{BO}:start", query="reserve=1"),
        ALERT_APPROVER,
        "call out the reserve (shortcut from the reserve)",
    ),
    PageSpec(
        lambda: url(f"{BO}:detail", _callout()),
        ALERT_APPROVER,
        "a call-out's coverage: needed, confirmed, declined, no answer, per wave",
        screenshot="callout-coverage.png",
    ),
    # An association's managers.
    PageSpec(lambda: url(f"{PUBLIC}:list"), ASSOCIATION_MANAGER, "my association's call-outs"),
    PageSpec(lambda: url(f"{PUBLIC}:start"), ASSOCIATION_MANAGER, "call out for my association"),
    PageSpec(
        lambda: url(f"{PUBLIC}:start"),
        ASSOCIATION_MANAGER,
        "call out for my association sent empty",
        prepare=submit_with(SUBMIT),
    ),
    # The volunteer's one-tap answer (by the link of the SMS or e-mail).
    PageSpec(
        _answer("sent"),
        ANONYMOUS,
        "answer a call-out: yes or no",
        screenshot="callout-answer.png",
    ),
    PageSpec(_answer("yes"), ANONYMOUS, "call-out answered yes"),
    PageSpec(_answer("no"), ANONYMOUS, "call-out answered no"),
    # The civil-protection reserve.
    PageSpec(
        lambda: url(f"{RESERVE}:list"),
        ALERT_APPROVER,
        "civil-protection reserve",
        screenshot="reserve.png",
    ),
    PageSpec(
        lambda: url(f"{RESERVE}:list", query="status=ending"),
        ALERT_APPROVER,
        "reserve: engagements ending within 30 days",
    ),
    PageSpec(lambda: url(f"{RESERVE}:enrol"), ALERT_APPROVER, "enrol a volunteer in the reserve"),
    PageSpec(
        lambda: url(f"{RESERVE}:enrol"),
        ALERT_APPROVER,
        "enrol a volunteer sent empty",
        prepare=submit_with(SUBMIT),
    ),
    PageSpec(
        lambda: url(f"{RESERVE}:edit", _reservist()),
        ALERT_APPROVER,
        "a reservist's engagement",
    ),
    PageSpec(
        lambda: url(f"{RESERVE}:call_list"), ALERT_APPROVER, "call list of the reserve (phone tree)"
    ),
    PageSpec(lambda: url(f"{RESERVE}:trainings"), ALERT_APPROVER, "training sessions"),
    PageSpec(lambda: url(f"{RESERVE}:training_create"), ALERT_APPROVER, "plan a training session"),
    PageSpec(
        lambda: url(f"{RESERVE}:training_create"),
        ALERT_APPROVER,
        "plan a training session sent empty",
        prepare=submit_with(SUBMIT),
    ),
    PageSpec(
        lambda: url(f"{RESERVE}:training", _training()),
        ALERT_APPROVER,
        "a training session's attendance",
    ),
]

NOT_PAGES_CALLOUTS: dict[str, str] = {
    f"{BO}:stop": "POST action, redirects",
    f"{BO}:wave": "POST action, redirects",
    f"{PUBLIC}:stop": "POST action, redirects",
    f"{PUBLIC}:detail": (
        "the back office's coverage template for an association's call-out; the demo has no "
        "association call-out (its call-out is the crisis cell's), audited as "
        f"{BO}:detail"
    ),
    f"{RESERVE}:end": "POST action, redirects",
}
