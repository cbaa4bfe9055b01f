"""My alert contacts: where Civic Desk reaches this person when they are on an escalation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest

from .models import ContactMethod
from .my_contacts import add_contact, set_active


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label="How", choices=ContactMethod.Kind.choices)
    address = forms.CharField(
        label="Address",
        max_length=500,
        help_text="An e-mail address, a mobile number such as +15125550143, or a webhook URL.",
    )


@login_required
def my_contacts(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_contact(
                user=request.user,
                kind=form.cleaned_data["kind"],
                address=form.cleaned_data["address"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("address", exc)
        else:
            messages.success(request, "Added. Alerts reach you there from now on.")
            return redirect("escalation:contacts")
    methods = ContactMethod.objects.filter(user=request.user)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "escalation/contacts.html", {"form": form, "methods": methods}, status=status
    )


@login_required
@require_POST
def switch_contact(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    method = access.own_contact_method(request.user, pk)
    active = request.POST.get("active") == "1"
    set_active(method=method, active=active, by=request.user, request=request)
    messages.success(request, f"{method} is {'on' if active else 'off'}.")
    return redirect("escalation:contacts")
