from __future__ import annotations

from django import forms

from .labels import signal_label
from .signals import SIGNALS, Kind

# What a rule or a threshold can name: the yes/no signals (sentiment and emotion are labels).
SIGNAL_CHOICES = [
    (name, signal_label(name)) for name, s in SIGNALS.items() if s.kind in (Kind.BINARY, Kind.RULES)
]


class ThresholdForm(forms.Form):
    signal = forms.ChoiceField(choices=SIGNAL_CHOICES)
    threshold = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        # Django refuses "nan" and "inf" as invalid; all three cases get the same sentence.
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value", "max_value"),
            "Enter a threshold between 0 and 1, such as 0.75.",
        ),
    )
