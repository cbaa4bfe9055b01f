from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.accounts.polling import poll_account
from civicdesk.demo.agency import create_demo_agency
from civicdesk.inbox.models import Entry

pytestmark = pytest.mark.django_db


def normalized(text: str) -> str:
    """What a reader takes in at a glance: the words, without case, links, handles or emoji."""
    text = re.sub(r"https?://\S+|@\w+", " ", text.lower())
    return re.sub(r"[\W_]+", " ", text).strip()


@pytest.fixture
def demo_inbox() -> list[Entry]:
    """The demo's inbox once its history and its two hours of live traffic have arrived."""
    accounts = create_demo_agency(started_at=timezone.now() - timedelta(hours=3))
    for account in accounts:
        while poll_account(account_id=account.pk).report.created_item_ids:
            pass
    return list(Entry.objects.select_related("item__latest_version").order_by("-received_at"))


def test_the_demo_inbox_holds_no_near_identical_items(demo_inbox):
    assert len(demo_inbox) > 400
    first_texts = [entry.item.versions.order_by("seq").first().text for entry in demo_inbox]
    texts = [normalized(text) for text in first_texts]
    assert "" not in texts, "every item has words in it"
    back_to_back = [
        (a, b)
        for a, b in zip(first_texts, first_texts[1:], strict=False)
        if normalized(a) == normalized(b)
    ]
    assert back_to_back == []
    repeated = sorted({t for t in texts if texts.count(t) > 1})
    assert repeated == []


def test_the_demo_inbox_still_has_its_threat_and_its_cry_for_help(demo_inbox):
    texts = {entry.item.latest_version.text for entry in demo_inbox}
    assert "someone should teach the bus drivers a lesson they won't forget" in texts
    assert any(text.startswith("i cant do this anymore") for text in texts)


def test_the_demo_cry_for_help_alerts_the_district_by_mail(
    smtp_server, run_tasks_now, django_capture_on_commit_callbacks
):
    from civicdesk.escalation.models import Incident

    accounts = create_demo_agency(started_at=timezone.now() - timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        for account in accounts:
            while poll_account(account_id=account.pk).report.created_item_ids:
                pass
    incident = Incident.objects.get(signal="self_harm")
    assert incident.item.latest_version.text.startswith("i cant do this anymore")
    [mail] = smtp_server.to("comms.director@riverbend.example")
    assert "Self-harm" in str(mail["Subject"])
    assert "/escalation/ack/" in mail.get_body(preferencelist=("plain",)).get_content()
    assert not smtp_server.to("admin@riverbend.example")  # level 2, only if nobody acknowledges
