"""The demo's caught mail: what Civic Desk sent, as the people it was sent to would see it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest

from . import mailsink


def _folder() -> Path:
    if not settings.DEMO_MAIL_DIR:
        raise Http404("No mail sink is running: start Civic Desk with `./run demo` to have one.")
    return Path(settings.DEMO_MAIL_DIR)


@login_required
def mail_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    mails = [
        m
        for m in mailsink.caught(_folder())
        if access.can_read_caught_mail(request.user, m.recipients)
    ]
    return render(request, "demo/mail_index.html", {"mails": mails[:200], "total": len(mails)})


@login_required
def mail_detail(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    path = _folder() / f"{key}{mailsink.SUFFIX}"
    if not mailsink.is_key(key) or not path.is_file():
        raise Http404("No such message.")
    mail = mailsink.read(path)
    if not access.can_read_caught_mail(request.user, mail.recipients):
        raise Http404("No such message.")
    return render(request, "demo/mail_detail.html", {"mail": mail})
