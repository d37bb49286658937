"""Forms of the comments: write or edit a comment (with its position), reply, vote."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.participation.comments.services import BODY_MAX_LENGTH
from beffroi.participation.models import Comment


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Plain text, at most %(max)d characters.") % {"max": BODY_MAX_LENGTH},
        error_messages={"required": _("Write your comment.")},
    )
    stance = forms.ChoiceField(
        label=_("Your position"),
        choices=Comment.Stance.choices,
        initial=Comment.Stance.NEUTRAL,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you are for, against or neutral.")},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django would repeat the limit in a "maxlength" attribute that cuts pasted text
        # silently; the server says how long it is instead.
        self.fields["body"].widget.attrs.pop("maxlength", None)


class CommentEditForm(forms.Form):
    body = CommentForm.base_fields["body"]
    stance = CommentForm.base_fields["stance"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.pop("maxlength", None)
