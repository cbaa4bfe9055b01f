from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "civicdesk.demo"
    label = "demo"
    verbose_name = "Demo agency"
