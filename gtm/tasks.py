"""Go-to-market's background work (Celery): thin wrappers that call a service."""

from celery import shared_task

from pmflow.celery import transient_retry


@shared_task(**transient_retry())
def launch_task_reminders() -> int:
    """Periodic (hourly): notify owners of launch tasks due today or tomorrow and of overdue ones, each
    once (gtm.notification_tasks). Safe to run twice."""
    from gtm.notification_tasks import launch_task_reminders_send

    return launch_task_reminders_send()
