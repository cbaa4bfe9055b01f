from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "civicdesk.escalation"
    label = "escalation"
    verbose_name = "Escalation"
