"""Form of the back-office page importing an authority's CAP message."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.public.cap import MAX_DOCUMENT_BYTES


class CapImportForm(forms.Form):
    document = forms.FileField(
        label=_("CAP 1.2 file"),
        help_text=_("The XML file received from the authority (préfecture, Météo-France…)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.cap,application/cap+xml,text/xml"}),
    )
    allow_outside = forms.BooleanField(
        label=_("Import even if the area lies outside our territory"),
        required=False,
        help_text=_("Only for a message that really concerns the commune."),
    )

    def clean_document(self) -> bytes:
        upload = self.cleaned_data["document"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB."),
                params={"size": MAX_DOCUMENT_BYTES // 1024 // 1024},
            )
        data: bytes = upload.read()
        return data
