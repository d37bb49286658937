"""Proposals, read: the filtered and sorted list, the map data, similar proposals, history.

Every query here reads only what residents may see: proposals of the process that are not
hidden by the moderators. The list reads the counters kept on the proposal (supports,
comments) through their indexes, never a ``COUNT`` over a million supports, so that a page
costs the same number of queries at 50 proposals as at 10,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Mod
from django.urls import reverse

from beffroi.participation.models import (
    Follow,
    Participant,
    Process,
    Proposal,
    ProposalVersion,
    Support,
)
from beffroi.participation.richtext import plain_text
from beffroi.territory.models import Organisation
from beffroi.territory.text import fold

SORTS = ("supported", "newest", "commented", "random")
STATUSES = (
    "open",
    "under_study",
    "accepted",
    "rejected",
    "feasible",
    "not_feasible",
    "withdrawn",
)
# Random order: (id × A + seed) mod M, computed by the database, the same for every page of a
# seed. A is a large odd multiplier; M a prime, so that neighbouring ids scatter.
_RANDOM_MULTIPLIER = 1_103_515_245
_RANDOM_MODULUS = 2_147_483_647
SEED_MAX = 1_000_000


@dataclass(frozen=True)
class ProposalFilters:
    query: str = ""
    category_id: int | None = None
    zone_id: int | None = None
    status: str = ""
    sort: str = "supported"
    seed: int = 0


def hidden_proposal(*, organisation: Organisation | None, proposal_id: int) -> Proposal | None:
    """A proposal the moderators hid, in a published process of ``organisation``: its page
    shows the public reason in place of the content. None for anything else."""
    return (
        Proposal.objects.select_related("process")
        .filter(
            organisation=organisation,
            pk=proposal_id,
            hidden_at__isnull=False,
            process__status=Process.Status.PUBLISHED,
        )
        .first()
    )


def visible_proposals(*, process: Process) -> QuerySet[Proposal]:
    """Proposals of ``process`` residents may see: everything but what moderators hid."""
    return Proposal.objects.filter(process=process, hidden_at__isnull=True)


def _search_words(query: str) -> list[str]:
    """The words of a search, folded as ``Proposal.search_text`` is: "Vélo" finds "velo"."""
    return [word for word in fold(query).split() if word][:8]


def proposals_filtered(*, process: Process, filters: ProposalFilters) -> QuerySet[Proposal]:
    """The visible proposals of ``process`` matching ``filters``, sorted, with what a list
    row shows joined (category, author). Withdrawn proposals appear only when asked for."""
    proposals = visible_proposals(process=process).select_related("category", "author")
    for word in _search_words(filters.query):
        proposals = proposals.filter(search_text__contains=word)
    if filters.category_id is not None:
        proposals = proposals.filter(category_id=filters.category_id)
    if filters.zone_id is not None:
        # One membership row per proposal and zone (unique through table): no duplicates.
        proposals = proposals.filter(zones__id=filters.zone_id)
    status = filters.status
    if status == "withdrawn":
        proposals = proposals.filter(state=Proposal.State.WITHDRAWN)
    else:
        proposals = proposals.filter(state=Proposal.State.PUBLISHED)
        if status == "open":
            proposals = proposals.filter(answer="")
        elif status in {"under_study", "accepted", "rejected"}:
            proposals = proposals.filter(answer=status)
        elif status in {"feasible", "not_feasible"}:
            proposals = proposals.filter(feasibility=status)
    if filters.sort == "newest":
        return proposals.order_by("-created_at", "-pk")
    if filters.sort == "commented":
        return proposals.order_by("-comments_count", "-created_at", "-pk")
    if filters.sort == "random":
        return proposals.annotate(
            shuffle=Mod(F("pk") * _RANDOM_MULTIPLIER + filters.seed, _RANDOM_MODULUS)
        ).order_by("shuffle", "pk")
    return proposals.order_by("-supports_count", "-created_at", "-pk")


# What a list card does not show: left in the table, so that sorting 10,000 rows by a random
# key or a search term stays in memory instead of spilling their descriptions to disk.
LIST_DEFERRED = ("body", "answer_text", "feasibility_note", "hidden_reason")


def proposals_page(
    *, process: Process, filters: ProposalFilters, page_number: str | None, per_page: int
) -> tuple[Page[int], list[Proposal]]:
    """One page of ``proposals_filtered`` in two queries whatever the filters: the ids of
    every match in order (one scan, which also gives the count), then the page's rows.

    Counting and then fetching a page scanned the matches twice; for a search or the
    random order over 10,000 proposals that was most of the list's time on PostgreSQL."""
    ids = list(proposals_filtered(process=process, filters=filters).values_list("pk", flat=True))
    page = Paginator(ids, per_page).get_page(page_number)
    wanted = list(page.object_list)
    rows = {
        proposal.pk: proposal
        for proposal in Proposal.objects.filter(pk__in=wanted)
        .select_related("category", "author")
        .defer(*LIST_DEFERRED)
    }
    return page, [rows[pk] for pk in wanted if pk in rows]


def supported_ids(*, participant: Participant | None, proposal_ids: list[int]) -> set[int]:
    """Which of ``proposal_ids`` ``participant`` supports (one query for a whole page)."""
    if participant is None or not proposal_ids:
        return set()
    return set(
        Support.objects.filter(participant=participant, proposal_id__in=proposal_ids).values_list(
            "proposal_id", flat=True
        )
    )


def is_following(*, participant: Participant | None, proposal: Proposal) -> bool:
    if participant is None:
        return False
    return Follow.objects.filter(participant=participant, proposal=proposal).exists()


def proposals_geojson(*, process: Process, filters: ProposalFilters) -> dict[str, Any]:
    """The map data: visible proposals with a point, as a GeoJSON FeatureCollection (lon, lat).

    Plain values only (no model instances): 10,000 points are read in one query."""
    rows = (
        proposals_filtered(process=process, filters=filters)
        .filter(lat__isnull=False, lon__isnull=False)
        .select_related(None)
        .values_list("pk", "title", "lon", "lat", "supports_count", "answer", "state")
    )
    detail = reverse("participation_proposals:detail", args=[0])
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {
                "type": "Point",
                # Five decimals: about one metre.
                "coordinates": [round(lon or 0.0, 5), round(lat or 0.0, 5)],
            },
            "properties": {
                # Text, set with textContent by the map script: never parsed as HTML.
                "name": title,
                "supports": supports,
                "url": detail.replace("/0/", f"/{pk}/"),
                # Only when set: 10,000 points are a large document.
                **({"answer": answer} if answer else {}),
                **({"withdrawn": True} if state == Proposal.State.WITHDRAWN else {}),
            },
        }
        for pk, title, lon, lat, supports, answer, state in rows
    ]
    return {"type": "FeatureCollection", "features": features}


# --- Similar proposals ---------------------------------------------------------------------

# Words too common to say two proposals are about the same thing (French and English).
_STOPWORDS = frozenset(
    """
    les des une pour dans avec sur par plus pas que qui est sont aux ces ses nos vos leur
    leurs mais comme tout tous toute toutes cette etre avoir fait faire afin ainsi entre
    chez sans sous vers tres bien aussi donc alors quand dont elle elles nous vous ils
    the and for with from this that are was were have has into over under about more
    """.split()  # noqa: SIM905 — a word list reads better as text
)
_WORD = re.compile(r"[a-z0-9]+")
# Prefix length of a word used to find candidates: "composteurs" finds "composteur".
_STEM = 6
SIMILAR_LIMIT = 5
SIMILAR_CANDIDATES = 300
SIMILAR_MIN_SCORE = 55.0


def significant_words(text: str) -> list[str]:
    """The words of ``text`` that say what it is about, folded, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if len(word) >= 4 and word not in _STOPWORDS and not word.isdigit():
            seen.setdefault(word, None)
    return list(seen)


@dataclass(frozen=True)
class SimilarProposal:
    proposal_id: int
    title: str
    supports_count: int
    score: float


def similar_proposals(
    *,
    process: Process,
    title: str,
    body: str = "",
    exclude_id: int | None = None,
    limit: int = SIMILAR_LIMIT,
) -> list[SimilarProposal]:
    """The visible, published proposals of ``process`` most like a draft, best first.

    Two steps, so that it stays fast at 10,000 proposals: the database keeps only proposals
    sharing a word stem with the draft (at most ``SIMILAR_CANDIDATES``, the most supported
    first); rapidfuzz then scores those on their title (weighted 0.7) and description."""
    from rapidfuzz import fuzz

    words = significant_words(f"{title} {plain_text(body)[:600]}")[:10]
    if not words:
        return []
    stems = {word[:_STEM] for word in words}
    match = Q()
    for stem in stems:
        match |= Q(search_text__contains=stem)
    candidates = (
        visible_proposals(process=process)
        .filter(state=Proposal.State.PUBLISHED)
        .filter(match)
        .order_by("-supports_count", "-pk")
        .values_list("pk", "title", "body", "supports_count")[:SIMILAR_CANDIDATES]
    )
    draft_title = " ".join(significant_words(title)) or " ".join(words)
    draft_all = " ".join(words)
    scored: list[SimilarProposal] = []
    for pk, other_title, other_body, supports in candidates:
        if pk == exclude_id:
            continue
        other_title_words = " ".join(significant_words(other_title))
        other_all = " ".join(significant_words(f"{other_title} {plain_text(other_body)[:600]}"))
        title_score = fuzz.token_set_ratio(draft_title, other_title_words)
        all_score = fuzz.token_sort_ratio(draft_all, other_all)
        score = 0.7 * title_score + 0.3 * all_score
        if score >= SIMILAR_MIN_SCORE:
            scored.append(SimilarProposal(pk, other_title, supports, round(score, 1)))
    scored.sort(key=lambda s: (-s.score, -s.supports_count, s.proposal_id))
    return scored[:limit]


# --- History and back office ---------------------------------------------------------------


def proposal_versions(*, proposal: Proposal) -> list[ProposalVersion]:
    """What the proposal said before each edit, latest first."""
    return list(proposal.versions.select_related("edited_by").order_by("-number"))


def proposals_for_review(*, process: Process, filters: ProposalFilters) -> QuerySet[Proposal]:
    """Every proposal of ``process`` for its managers, hidden ones included (marked)."""
    proposals = Proposal.objects.filter(process=process).select_related("category", "author")
    for word in _search_words(filters.query):
        proposals = proposals.filter(search_text__contains=word)
    if filters.category_id is not None:
        proposals = proposals.filter(category_id=filters.category_id)
    if filters.status == "withdrawn":
        proposals = proposals.filter(state=Proposal.State.WITHDRAWN)
    elif filters.status == "open":
        proposals = proposals.filter(answer="", state=Proposal.State.PUBLISHED)
    elif filters.status in {"under_study", "accepted", "rejected"}:
        proposals = proposals.filter(answer=filters.status)
    elif filters.status in {"feasible", "not_feasible"}:
        proposals = proposals.filter(feasibility=filters.status)
    elif filters.status == "threshold":
        proposals = proposals.filter(threshold_reached_at__isnull=False)
    if filters.sort == "newest":
        return proposals.order_by("-created_at", "-pk")
    return proposals.order_by("-supports_count", "-created_at", "-pk")


def processes_with_proposals(*, organisation: Any) -> QuerySet[Process]:
    """The organisation's processes, for the back-office entry (each with its proposals)."""
    from django.db.models import Count

    return (
        Process.objects.filter(organisation=organisation)
        .annotate(proposal_count=Count("proposals"))
        .order_by("-created_at")
    )
