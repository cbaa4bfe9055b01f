from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "civicdesk.training"
    verbose_name = "Triage model training"
