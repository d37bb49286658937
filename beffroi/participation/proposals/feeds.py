"""The Atom feed of a process's proposals, newest first (``…/demarche/<slug>/flux.atom``).

Built with Django's feed framework: titles and names are XML text, escaped by the writer, and
each description is the proposal's body as sanitised by ``richtext.clean_html``, sent as
escaped HTML (``type="html"``), so that a feed reader shows it and runs nothing. The items are
what the list shows by default: published proposals, never those the moderators hid, of a
process the reader may see (``access.access_process``: a draft process is 404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from beffroi.participation import access
from beffroi.participation.models import Process, Proposal
from beffroi.participation.proposals.selectors import ProposalFilters, proposals_filtered
from beffroi.territory.selectors import organisation_url

FEED_ENTRIES = 50


class ProposalFeed(Feed):  # type: ignore[type-arg]
    feed_type = Atom1Feed

    # One instance serves every request (and thread): what belongs to a request is kept on
    # the objects of that request, never on ``self``.

    def get_object(self, request: HttpRequest, slug: str) -> Process:  # type: ignore[override]
        process = access.access_process(request, slug)
        # Absolute links on the organisation's own address, looked up once per feed.
        process.feed_base = organisation_url(process.organisation)  # type: ignore[attr-defined]
        return process

    @staticmethod
    def _url(base: str, name: str, *args: Any) -> str:
        return base + reverse(name, args=args)

    def title(self, obj: Process) -> str:
        return _("Proposals — %(title)s") % {"title": obj.title}

    def subtitle(self, obj: Process) -> str:
        return obj.summary or _("The latest proposals of “%(title)s”.") % {"title": obj.title}

    def link(self, obj: Process) -> str:
        return self._url(obj.feed_base, "participation_proposals:list", obj.slug)  # type: ignore[attr-defined]

    def feed_url(self, obj: Process) -> str:
        return self._url(obj.feed_base, "participation_proposals:feed", obj.slug)  # type: ignore[attr-defined]

    def author_name(self, obj: Process) -> str:
        return obj.organisation.name

    def items(self, obj: Process) -> list[Proposal]:
        proposals = list(
            proposals_filtered(process=obj, filters=ProposalFilters(sort="newest"))[:FEED_ENTRIES]
        )
        for proposal in proposals:
            proposal.feed_base = obj.feed_base  # type: ignore[attr-defined]
        return proposals

    def item_title(self, item: Proposal) -> str:
        return item.title

    def item_description(self, item: Proposal) -> str:
        return item.body

    def item_link(self, item: Proposal) -> str:
        return self._url(item.feed_base, "participation_proposals:detail", item.pk)  # type: ignore[attr-defined]

    def item_guid(self, item: Proposal) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: Proposal) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Proposal) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Proposal) -> str:
        return item.author.public_name if item.author is not None else _("a resident")

    def item_categories(self, item: Proposal) -> list[str]:
        return [item.category.name] if item.category is not None else []
