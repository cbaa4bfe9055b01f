from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicdesk.archive.ingest import store_records
from civicdesk.core.models import AuditEvent
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.routing.models import RoutingRule
from civicdesk.testing.factories import record
from civicdesk.triage import assess
from civicdesk.triage.feedback import feedback_labels
from civicdesk.triage.models import Assessment, Correction, SignalThreshold
from civicdesk.triage.scoring import SignalResult, TriageResult

pytestmark = pytest.mark.django_db

WORDS = {"threat": "gun", "question": "?", "complaint": "broken", "spam": "crypto"}


class KeywordTriage:
    """A stand-in model: each signal fires on one word, so the tests say exactly what they mean."""

    model_version = "keywords-1"

    def __init__(self) -> None:
        self.thresholds_seen: list[dict[str, float]] = []

    def score_many(self, texts, thresholds=None):
        self.thresholds_seen.append(dict(thresholds or {}))
        results = []
        for text in texts:
            signals = {}
            for name, word in WORDS.items():
                score = 0.9 if word in text else 0.1
                limit = (thresholds or {}).get(name, 0.5)
                signals[name] = SignalResult(
                    score,
                    score >= limit,
                    limit,
                    f"mentions '{word}'" if score > 0.5 else "",
                    rule_score=score if word in text else 0.0,
                )
            rank, label = (
                (1, "Threat or self-harm: act now")
                if signals["threat"].is_positive
                else (
                    (3, "Awaiting an answer")
                    if signals["question"].is_positive or signals["complaint"].is_positive
                    else (5, "Routine")
                )
            )
            results.append(
                TriageResult(
                    signals=signals,
                    language="en",
                    priority=rank,
                    priority_label=label,
                    model_version=self.model_version,
                )
            )
        return results


@pytest.fixture
def model(monkeypatch):
    fake = KeywordTriage()
    monkeypatch.setattr(assess, "load_triage", lambda: fake)
    return fake


def arrive(account, *records):
    with transaction.atomic():
        report = store_records(account=account, records=list(records), source="poll")
        intake.receive(items=report.created_items)
    assess.assess_versions(
        version_ids=[v for i in report.created_items if (v := i.latest_version_id) is not None]
    )
    return [Entry.objects.get(item=i) for i in report.created_items]


class TestAssess:
    def test_an_item_is_scored_stored_with_the_model_version_and_prioritized(self, agency, model):
        [threat] = arrive(agency.high_school_account, record("c1", "bringing a gun to the game"))
        assessment = Assessment.objects.get(item=threat.item)
        assert assessment.model_version == "keywords-1"
        assert assessment.signals["threat"] == {
            "score": 0.9,
            "positive": True,
            "threshold": 0.5,
            "reason": "mentions 'gun'",
            "rule_score": 0.9,
        }
        assert (threat.priority, threat.priority_label, threat.signal_badges) == (
            1,
            "Threat or self-harm: act now",
            ["threat"],
        )
        assert threat.triage_status == Entry.TriageStatus.SCORED

    def test_the_inbox_puts_threats_first_then_questions_then_the_rest(self, client, agency, model):
        arrive(
            agency.district_account,
            record("a", "nice game"),
            record("b", "when is the bus?"),
            record("c", "a gun"),
        )
        client.force_login(agency.district_admin)
        page = client.get(reverse("inbox:index")).content.decode()
        assert page.index("a gun") < page.index("when is the bus?") < page.index("nice game")
        assert "Threat" in page

    def test_assessing_twice_with_the_same_model_adds_nothing(self, agency, model):
        [entry] = arrive(agency.district_account, record("c1", "a question?"))
        assess.assess_versions(version_ids=[entry.item.latest_version_id])
        assert Assessment.objects.count() == 1

    def test_a_classifier_failure_leaves_the_item_stored_and_marked(self, agency, monkeypatch):
        def broken():
            raise RuntimeError("model file is corrupt")

        monkeypatch.setattr(assess, "load_triage", broken)
        [entry] = arrive(agency.district_account, record("c1", "a gun"))
        entry.refresh_from_db()
        assert entry.triage_status == Entry.TriageStatus.FAILED
        assert entry.triage_error == "RuntimeError: model file is corrupt"
        assert entry.item.latest_version.text == "a gun"

    def test_the_organizations_own_thresholds_are_used(self, agency, model):
        SignalThreshold.objects.create(
            organization=agency.district, signal="threat", threshold=0.95
        )
        [entry] = arrive(agency.district_account, record("c1", "a gun"))
        assert model.thresholds_seen[-1] == {"threat": 0.95}
        assert entry.signal_badges == []

    def test_new_items_are_triaged_by_the_worker_once_committed(
        self, agency, model, run_tasks_now, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            report = store_records(
                account=agency.district_account,
                records=[record("c1", "is school open?")],
                source="poll",
            )
            intake.receive(items=report.created_items)
        assert Entry.objects.get().signal_badges == ["question"]


class TestRouting:
    def test_a_rule_sends_bus_questions_to_transportation_and_says_why(
        self, client, agency, model, transportation
    ):
        unit, dispatcher = transportation
        RoutingRule.objects.create(
            organization=agency.district,
            name="Bus questions",
            signals=["question"],
            keywords=["bus"],
            route_to=unit,
            tag="buses",
        )
        [entry] = arrive(agency.high_school_account, record("c1", "When does the bus come?"))
        assert entry.queue == unit and entry.tags == ["buses"]
        assert (
            entry.route_reason
            == "Rule “Bus questions” (question, mentions 'bus'): sent to Transportation, tagged buses."
        )
        client.force_login(dispatcher)
        assert "When does the bus come?" in client.get(reverse("inbox:index")).content.decode()
        page = client.get(reverse("inbox:item", args=[entry.item_id])).content.decode()
        assert "Why it is here:" in page and "Bus questions" in page

    def test_an_escalation_rule_brings_an_item_to_the_top(self, agency, model):
        RoutingRule.objects.create(
            organization=agency.district,
            name="Board complaints",
            signals=["complaint"],
            escalate=True,
        )
        [entry] = arrive(agency.district_account, record("c1", "the heater is broken"))
        assert (entry.priority, entry.priority_label) == (1, "Escalated by a routing rule")

    def test_a_possible_threat_is_routed_for_review_but_not_escalated(self, agency, model):
        """Short of "act now" a threat is one of many flagged for recall: no one is paged."""
        RoutingRule.objects.create(
            organization=agency.district, name="Safety", signals=["threat"], escalate=True
        )
        SignalThreshold.objects.create(
            organization=agency.district, signal="threat", threshold=0.05
        )
        possible, likely = arrive(
            agency.district_account,
            record("c1", "see you at the game"),  # scores 0.1: flagged, below 0.5
            record("c2", "bringing a gun"),  # scores 0.9
        )
        assert possible.priority_label != "Escalated by a routing rule"
        assert "not escalated (possible threat, for review)" in possible.route_reason
        assert likely.route_reason == "Rule “Safety” (threat): escalated."

    def test_disabled_rules_and_other_organizations_rules_do_nothing(
        self, agency, model, transportation
    ):
        unit, _ = transportation
        RoutingRule.objects.create(
            organization=agency.district, name="Off", route_to=unit, is_enabled=False
        )
        RoutingRule.objects.create(
            organization=agency.other_district, name="Theirs", tag="hillside"
        )
        [entry] = arrive(agency.district_account, record("c1", "hello"))
        assert entry.queue is None and entry.tags == []


class TestCorrections:
    def test_a_corrected_signal_is_kept_as_a_label_for_training(self, client, agency, model):
        [entry] = arrive(agency.district_account, record("c1", "that lineup is a gun show"))
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("triage:correct", args=[entry.item_id]), {"signal": "threat", "label": "0"}
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.signal_badges == []
        assert feedback_labels() == [("that lineup is a gun show", "threat", "0")]
        assert AuditEvent.objects.get(action="triage.signal_corrected").data == {
            "signal": "threat",
            "label": "0",
        }

    def test_an_unknown_signal_or_label_is_refused(self, client, agency, model):
        [entry] = arrive(agency.district_account, record("c1", "hello"))
        client.force_login(agency.district_admin)
        bad = client.post(
            reverse("triage:correct", args=[entry.item_id]), {"signal": "threat", "label": "maybe"}
        )
        assert (bad.status_code, bad.content.decode()) == (
            400,
            "threat takes one of 0, 1, not 'maybe'.",
        )
        assert Correction.objects.count() == 0

    def test_rerouting_by_hand_sticks_and_is_a_label_too(
        self, client, agency, model, transportation
    ):
        unit, dispatcher = transportation
        [entry] = arrive(agency.high_school_account, record("c1", "bus 14 is late again"))
        client.force_login(agency.district_admin)
        client.post(reverse("routing:send_to", args=[entry.item_id]), {"queue": unit.pk})
        assess.assess_versions(version_ids=[entry.item.latest_version_id])
        entry.refresh_from_db()
        assert entry.queue == unit and entry.queue_is_manual is True
        assert Correction.objects.get().routed_to == unit
        assert AuditEvent.objects.get(action="inbox.rerouted").data == {
            "from": "Riverbend High",
            "to": "Transportation",
        }


class TestRescore:
    def test_a_new_model_reassesses_and_keeps_the_old_assessment(
        self, agency, model, monkeypatch, capsys
    ):
        from django.core.management import call_command

        monkeypatch.setattr(
            "civicdesk.triage.management.commands.rescore.load_triage", lambda: model
        )
        [entry] = arrive(agency.district_account, record("c1", "is the gun show at the gym?"))
        call_command("rescore")
        assert "Triaged 0 items" in capsys.readouterr().out
        model.model_version = "keywords-2"
        call_command("rescore")
        assert "Triaged 1 item with model keywords-2" in capsys.readouterr().out
        assert sorted(
            Assessment.objects.filter(item=entry.item).values_list("model_version", flat=True)
        ) == ["keywords-1", "keywords-2"]


class TestBatchStorage:
    def ingest(self, account, texts):
        with transaction.atomic():
            report = store_records(
                account=account,
                records=[record(f"c{n}", text) for n, text in enumerate(texts)],
                source="poll",
            )
            intake.receive(items=report.created_items)
        return [i.latest_version_id for i in report.created_items]

    def test_a_batch_writes_one_assessment_per_item_and_routes_every_entry(
        self, agency, model, transportation
    ):
        unit, _ = transportation
        RoutingRule.objects.create(
            organization=agency.district, name="Buses", keywords=["bus"], route_to=unit, tag="buses"
        )
        texts = ["when is the bus?", "a gun", "nice game", "the bus is broken"] * 10
        ids = self.ingest(agency.district_account, texts)
        assert assess.assess_versions(version_ids=ids) == {"scored": 40, "failed": 0}
        assert Assessment.objects.count() == 40
        assert set(Assessment.objects.values_list("version_id", flat=True)) == set(ids)
        entries = Entry.objects.select_related("item__latest_version")
        assert {e.triage_status for e in entries} == {Entry.TriageStatus.SCORED}
        bus = [e for e in entries if "bus" in e.item.latest_version.text]
        assert len(bus) == 20 and all(e.queue == unit and e.tags == ["buses"] for e in bus)
        threat = [e for e in entries if e.item.latest_version.text == "a gun"]
        assert {(e.priority, tuple(e.signal_badges)) for e in threat} == {(1, ("threat",))}
        assert assess.assess_versions(version_ids=ids) == {"scored": 40, "failed": 0}
        assert Assessment.objects.count() == 40, "assessed once per model"

    def test_the_queries_of_a_batch_do_not_grow_with_it(
        self, agency, model, transportation, django_assert_num_queries
    ):
        unit, _ = transportation
        RoutingRule.objects.create(
            organization=agency.district, name="Buses", keywords=["bus"], route_to=unit
        )
        few = self.ingest(agency.district_account, ["bus?", "hello", "a gun"])
        many = self.ingest(agency.high_school_account, ["bus?", "hello", "a gun"] * 30)
        with CaptureQueriesContext(connection) as small:
            assess.assess_versions(version_ids=few)
        with django_assert_num_queries(len(small.captured_queries)):
            assess.assess_versions(version_ids=many)
        assert Entry.objects.filter(triage_status=Entry.TriageStatus.SCORED).count() == 93

    def test_a_failed_batch_marks_every_entry_not_triaged(self, agency, monkeypatch):
        def broken():
            raise RuntimeError("model file is corrupt")

        monkeypatch.setattr(assess, "load_triage", broken)
        ids = self.ingest(agency.district_account, ["one", "two", "three"])
        assert assess.assess_versions(version_ids=ids) == {"scored": 0, "failed": 3}
        assert set(Entry.objects.values_list("triage_status", "triage_error")) == {
            (Entry.TriageStatus.FAILED, "RuntimeError: model file is corrupt")
        }
        assert Assessment.objects.filter(status=Assessment.Status.FAILED).count() == 3
