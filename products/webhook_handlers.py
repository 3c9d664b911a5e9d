"""Webhooks listen to the contract's domain events (imported in ProductsConfig.ready()).

The handler writes the deliveries (one per subscribed active hook, unique per hook and event: the relay
may run it twice) and hands them to the worker after commit; products.services.webhooks explains the rest.
"""

from products.events import register_batch_handler
from products.services.webhooks import EVENTS, deliveries_for_events

for _verb in EVENTS:
    register_batch_handler(_verb, deliveries_for_events)
