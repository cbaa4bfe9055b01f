from __future__ import annotations

from django import forms

from civicdesk.connectors.base import ItemKind


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
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In the agency's time zone.",
    )
    url = forms.URLField(label="Link", required=False, assume_scheme="https", max_length=2000)
