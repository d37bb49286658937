from beffroi.volunteering.models.associations import (
    Activity,
    Association,
    AssociationActivity,
    Membership,
    association_search_text,
)

__all__ = [
    "Activity",
    "Association",
    "AssociationActivity",
    "Membership",
    "association_search_text",
]
