"""The incident's evidence as a PDF for law enforcement, hashed into the audit log when made.

The PDF holds what the incident page holds for an investigator: the escalated item and its
thread with every archived version and its hashes, the SHA-256 of the frozen evidence, the
timeline of alerts and acknowledgements, and the chain of custody up to the moment it was made.
Its own SHA-256 goes into the audit event that records who made it, so a copy handed over can be
matched to the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from civicdesk.core import audit
from civicdesk.core.models import AuditEvent

from .models import Incident


class PdfUnavailable(Exception):
    """The PDF library or the system libraries it draws text with are missing."""


@dataclass(frozen=True)
class EvidencePdf:
    content: bytes
    sha256: str
    filename: str


def evidence_pdf(
    incident: Incident, *, by: User, request: HttpRequest | None = None
) -> EvidencePdf:
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            "Making PDFs needs WeasyPrint and the Pango text library "
            f"(on Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from exc
    made_at = timezone.now()
    custody = AuditEvent.objects.filter(
        target_type="escalation.incident", target_id=str(incident.pk)
    ).order_by("occurred_at", "pk")
    html = render_to_string(
        "escalation/incident_pdf.html",
        {
            "incident": incident,
            "joined": incident.joined_items.select_related("item"),
            "notifications": incident.notifications.select_related("recipient", "contact_method"),
            "acknowledgements": incident.acknowledgements.select_related("user"),
            "notes": incident.notes.select_related("author"),
            "custody": custody[:1000],
            "made_at": made_at,
            "made_by": by,
        },
    )
    content = HTML(string=html).write_pdf()
    assert content is not None
    digest = hashlib.sha256(content).hexdigest()
    audit.record(
        "escalation.evidence_exported",
        target=incident,
        by=by,
        request=request,
        sha256=digest,
        bytes=len(content),
        evidence_sha256=incident.evidence_sha256,
    )
    return EvidencePdf(content, digest, f"incident-{incident.pk}-evidence.pdf")
