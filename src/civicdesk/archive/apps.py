from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "civicdesk.archive"
    label = "archive"
    verbose_name = "Archive"
