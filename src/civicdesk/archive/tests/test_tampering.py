"""Every way of tampering on record is found by verify-archive; the window that remains is named."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import ArchiveSeal, ItemVersion
from civicdesk.archive.sealing import seal_archive
from civicdesk.archive.tampering import DETECTABLE, UNDETECTABLE, run_tamperings
from civicdesk.archive.verify import verify_archive
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db


def store(account, records, deleted=()):
    with transaction.atomic():
        store_records(account=account, records=records, deleted_ids=deleted, source="poll")


@pytest.fixture
def archive():
    """Three sealed periods of comments, edits, replies and a deletion, then an unsealed tail."""
    district = AccountFactory.create(handle="RiverbendUSD")
    school = AccountFactory.create(handle="RiverbendHigh")
    start = timezone.now() - timedelta(hours=1)
    with time_machine.travel(start, tick=False):
        store(
            district,
            [
                record("p1", "School is closed Monday.", kind="post", author_handle="RiverbendUSD"),
                record("c1", "Why closed?", parent_platform_id="p1", language="en"),
                record("c2", "¿Por qué?", parent_platform_id="p1", language="es"),
                record("c3", "Thank you!", author_name="B. Parent"),
            ],
        )
        store(school, [record("s1", "Game tonight?"), record("s2", "Go team")])
        seal_archive()
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        store(district, [record("c1", "Why closed? (edited)", parent_platform_id="p1")])
        store(district, [record("c4", "Spam")], deleted=["c3"])
        store(school, [record("s1", "Game tonight? Anyone?")])
        seal_archive()
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        store(district, [record("c1", "Why closed?? (edited twice)", parent_platform_id="p1")])
        store(district, [record("c5", "New question", language="en")])
        seal_archive()
    with time_machine.travel(start + timedelta(minutes=8), tick=False):
        store(district, [record("c2", "¿Por qué? (editado)", parent_platform_id="p1")])
        store(district, [record("c6", "Just arrived")])
    assert ArchiveSeal.objects.count() == 3
    assert (
        ItemVersion.objects.filter(pk__gt=ArchiveSeal.objects.last().last_version_id).count() == 2
    )
    assert verify_archive().is_intact is True


def test_there_are_at_least_thirty_kinds_of_tampering_with_readable_names():
    names = [case.name for case in DETECTABLE]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", DETECTABLE, ids=[case.name for case in DETECTABLE])
def test_tampering_is_found(archive, case):
    [result] = run_tamperings(cases=[case])
    assert result.outcome == "found", f"{case.what} was {result.outcome}"


def test_the_untouched_archive_and_its_files_survive_every_tampering(archive):
    anchors_before = django_settings.ANCHOR_FILE.read_text()
    key_before = django_settings.ANCHOR_KEY_FILE.read_bytes()
    results = run_tamperings()
    assert [r.tampering.name for r in results if not r.is_found] == []
    assert django_settings.ANCHOR_FILE.read_text() == anchors_before
    assert django_settings.ANCHOR_KEY_FILE.read_bytes() == key_before
    assert verify_archive().is_intact is True


@pytest.mark.parametrize("case", UNDETECTABLE, ids=[case.name for case in UNDETECTABLE])
def test_what_cannot_be_found_is_limited_to_the_unsealed_minutes(archive, case):
    """Changes made to versions before they are first sealed look like ingestion."""
    assert "seal interval" in case.undetectable_because
    [result] = run_tamperings(cases=[case])
    assert result.outcome == "missed"


def test_the_unsealed_window_is_minutes_by_default():
    from civicdesk import settings as defaults

    assert defaults.SEAL_INTERVAL_SECONDS <= 300
