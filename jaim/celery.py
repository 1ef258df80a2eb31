import logging
import os

from celery import Celery
from celery.signals import celeryd_after_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaim.settings")

app = Celery("jaim")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_after_setup.connect
def _transport_options_for_the_queues_consumed(sender, instance, conf, **kwargs):
    """A worker's visibility timeout follows from the queues it consumes (after -Q, before it connects): 2.5 times
    the longest hard time limit among their tasks (jaim/settings/celery.py)."""
    if not str(conf.broker_url or "").startswith(("redis", "rediss")):
        return
    from jaim.settings.celery import worker_transport_options

    queues = sorted(instance.app.amqp.queues.consume_from)
    conf.broker_transport_options = worker_transport_options(queues)
    logging.getLogger(__name__).info(
        "queues %s: a task lost with this worker is handed out again after %s s (visibility timeout)",
        ", ".join(queues), conf.broker_transport_options["visibility_timeout"],
    )  # fmt: skip
