"""The civil-protection reserve: back office only (under /backoffice/benevolat/reserve/);
reservists answer call-outs through the call-outs' own pages."""

from django.urls import URLPattern, path

from beffroi.volunteering.reserve import backoffice as crisis

public: tuple[list[URLPattern], str] = ([], "volunteering_reserve")
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", crisis.reserve_list, name="list"),
        path("inscrire/", crisis.reserve_enrol, name="enrol"),
        path("<int:member_id>/modifier/", crisis.reserve_edit, name="edit"),
        path("<int:member_id>/fin/", crisis.reserve_end, name="end"),
        path("liste-d-appel/", crisis.call_list, name="call_list"),
        path("formations/", crisis.training_list, name="trainings"),
        path("formations/nouvelle/", crisis.training_create, name="training_create"),
        path("formations/<int:session_id>/", crisis.training_detail, name="training"),
    ],
    "volunteering_reserve_backoffice",
)
