from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.utils import timezone

from civicdesk.connectors.base import ItemKind

# No platform an agency posts on is older than this; an earlier date is a typing slip
# (a two-digit year, a browser's blank year 0001).
EARLIEST_POST = datetime(2004, 1, 1, tzinfo=UTC)
# Clocks and time zones differ a little; more than a day ahead has not happened yet.
LATEST_AHEAD = timedelta(days=1)


class BlueskyConnectForm(forms.Form):
    identifier = forms.CharField(label="Handle or e-mail", max_length=200)
    app_password = forms.CharField(
        label="App password",
        widget=forms.PasswordInput(render_value=False),
        help_text="Create one in Bluesky under Settings → Privacy and security → App passwords.",
    )


class TokenConnectForm(forms.Form):
    access_token = forms.CharField(
        label="Access token",
        widget=forms.PasswordInput(render_value=False),
        help_text="In Mastodon: Preferences → Development → New application, then copy its access token.",
    )


class LogItemForm(forms.Form):
    """An item copied by hand from a platform Civic Desk cannot read (Snapchat)."""

    kind = forms.ChoiceField(choices=ItemKind.choices, initial=ItemKind.COMMENT)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=100_000)
    author_handle = forms.CharField(label="Author's handle", max_length=255, required=False)
    posted_at = forms.DateTimeField(
        label="Posted at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "min": "2004-01-01T00:00"}),
        help_text="In the agency's time zone.",
    )
    url = forms.URLField(label="Link", required=False, assume_scheme="https", max_length=2000)

    def clean_posted_at(self) -> datetime:
        posted_at: datetime = self.cleaned_data["posted_at"]
        if posted_at < EARLIEST_POST or posted_at > timezone.now() + LATEST_AHEAD:
            raise forms.ValidationError(
                "Enter when it was posted: a date from 2004 on, and not in the future.",
                code="out_of_range",
            )
        return posted_at
