"""The words staff use for each signal, on every page."""

from __future__ import annotations

SIGNAL_LABELS = {
    "threat": "Threat",
    "self_harm": "Self-harm",
    "harassment": "Harassment",
    "hate": "Hate",
    "offensive": "Offensive",
    "profanity": "Profanity",
    "spam": "Spam",
    "pii": "Personal data",
    "question": "Question",
    "complaint": "Complaint",
    "sentiment": "Sentiment",
    "emotion": "Emotion",
    "language": "Language",
}


def signal_label(name: str) -> str:
    return SIGNAL_LABELS.get(name, name.replace("_", " ").capitalize())
