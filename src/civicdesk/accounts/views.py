from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from civicdesk.archive.recapture_budget import status_by_account
from civicdesk.connectors.base import ConnectorError, Platform
from civicdesk.connectors.platforms import CONNECTORS
from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest

from . import connect
from .forms import BlueskyConnectForm, LogItemForm, TokenConnectForm
from .logging_by_hand import log_item
from .models import Account

SESSION_KEY = "civicdesk_sign_in"


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    accounts = (
        access.visible_accounts(request.user)
        .select_related("unit", "organization", "custodian")
        .annotate(item_count=Count("items"))
        .order_by("organization__name", "unit__name", "display_name")
    )
    listed = list(accounts)
    recapture = status_by_account(accounts=listed)
    rows = [(account, recapture[account.pk]) for account in listed]
    return render(request, "accounts/index.html", {"rows": rows})


def _manageable(request: AuthenticatedHttpRequest, pk: int) -> Account:
    account = access.account_for(request.user, pk)
    if not access.can_manage_account(request.user, account):
        raise PermissionDenied("Only an admin of this account's unit can connect it.")
    return account


def _callback_uri(request: AuthenticatedHttpRequest) -> str:
    return request.build_absolute_uri(reverse("accounts:oauth_callback"))


@login_required
def connect_account(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _manageable(request, pk)
    form: BlueskyConnectForm | TokenConnectForm | None = None
    if account.platform == Platform.BLUESKY:
        form = BlueskyConnectForm(request.POST or None)
    elif account.platform == Platform.MASTODON:
        form = TokenConnectForm(request.POST or None)
    context = {
        "account": account,
        "form": form,
        "is_oauth": account.platform in connect.OAUTH_PLATFORMS,
    }
    if request.method == "POST":
        try:
            if account.platform in connect.OAUTH_PLATFORMS:
                url, pending = connect.start_sign_in(
                    account=account, redirect_uri=_callback_uri(request)
                )
                request.session[SESSION_KEY] = pending.as_session()
                return redirect(url)
            if isinstance(form, BlueskyConnectForm) and form.is_valid():
                connect.connect_bluesky(
                    account=account, by=request.user, request=request, **form.cleaned_data
                )
            elif isinstance(form, TokenConnectForm) and form.is_valid():
                connect.connect_mastodon(
                    account=account,
                    access_token=form.cleaned_data["access_token"],
                    by=request.user,
                    request=request,
                )
            else:
                return render(request, "accounts/connect.html", context, status=400)
        except connect.NotConfigured as exc:
            messages.error(request, str(exc))
            return render(request, "accounts/connect.html", context, status=409)
        except ConnectorError as exc:
            messages.error(request, f"{account.get_platform_display()} said no: {exc.message}")
            return render(request, "accounts/connect.html", context, status=400)
        messages.success(
            request,
            f"{account.display_name} is connected. Civic Desk will read it within a minute.",
        )
        return redirect("accounts:index")
    return render(request, "accounts/connect.html", context)


@login_required
def oauth_callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    saved = request.session.pop(SESSION_KEY, None)
    if not saved or not connect.state_matches(request.GET.get("state", ""), saved.get("state")):
        messages.error(
            request,
            "This sign-in link is stale or was not started here. Start again from Accounts.",
        )
        return redirect("accounts:index")
    account = _manageable(request, int(saved["account_id"]))
    if error := request.GET.get("error"):
        messages.error(
            request,
            f"{account.get_platform_display()} did not connect the account: {request.GET.get('error_description', error)}.",
        )
        return redirect("accounts:index")
    try:
        connect.finish_sign_in(
            account=account,
            pending=connect.PendingSignIn(**saved),
            code=request.GET.get("code", ""),
            redirect_uri=_callback_uri(request),
            by=request.user,
            request=request,
        )
    except ConnectorError as exc:
        messages.error(request, f"{account.get_platform_display()} said no: {exc.message}")
        return redirect("accounts:index")
    messages.success(
        request, f"{account.display_name} is connected. Civic Desk will read it within a minute."
    )
    return redirect("accounts:index")


@login_required
def log_by_hand(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = access.account_for(request.user, pk)
    form = LogItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = log_item(account=account, by=request.user, request=request, **form.cleaned_data)
        messages.success(request, "The item is archived and in the inbox.")
        return redirect(item.get_absolute_url())
    can_read = bool(CONNECTORS[account.platform].capabilities)
    return render(
        request, "accounts/log_item.html", {"account": account, "form": form, "can_read": can_read}
    )
