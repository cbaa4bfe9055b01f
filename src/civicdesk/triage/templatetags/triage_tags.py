from __future__ import annotations

from django import template

from civicdesk.triage.labels import signal_label

register = template.Library()

register.filter("signal_label", signal_label)
