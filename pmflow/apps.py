from django.apps import AppConfig


class PmflowConfig(AppConfig):
    name = "pmflow"
    verbose_name = "pmflow"

    def ready(self):
        from django.db.backends.signals import connection_created

        from pmflow.sqlite import register_functions

        connection_created.connect(register_functions)
