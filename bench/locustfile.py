"""The users bench/load.py sends at pmflow (locust); everything they need comes from the environment.

- a REST client reading KPIs and rollups (weight 3),
- a feed posting batches of 10 measurements with fresh external ids (weight 2),
- a product manager viewing pages: the portfolio board, a product, a KPI (weight 1).
"""

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

TOKEN = os.environ["LOAD_TOKEN"]
SESSION = os.environ["LOAD_SESSION"]
PORTFOLIO = int(os.environ["LOAD_PORTFOLIO"])
PRODUCTS = json.loads(os.environ["LOAD_PRODUCTS"])
KPIS = json.loads(os.environ["LOAD_KPIS"])
BATCH = 10
# Every external id the server acknowledged with 201, one per line: bench/load.py checks each is stored once.
LEDGER = os.environ["LOAD_LEDGER"]


class ApiReader(HttpUser):
    weight = 3
    wait_time = between(0.05, 0.2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {TOKEN}"

    @task(2)
    def kpi_list(self):
        self.client.get(f"/api/v1/kpis/?product={random.choice(PRODUCTS)}", name="GET /api/v1/kpis/?product=")

    @task(3)
    def rollups(self):
        kpi = random.choice(KPIS)
        self.client.get(f"/api/v1/kpis/{kpi}/rollups/?granularity=month", name="GET /api/v1/kpis/{id}/rollups/")


class Feed(HttpUser):
    weight = 2
    wait_time = between(0.05, 0.2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {TOKEN}"

    @task
    def post_measurements(self):
        kpi = random.choice(KPIS)
        now = datetime.now(UTC)
        items = [
            {
                "observed_at": (now - timedelta(minutes=random.randint(0, 60 * 24 * 30))).isoformat(),
                "value": random.randint(1, 500),
                "external_id": f"load-{uuid.uuid4().hex}",
            }
            for _ in range(BATCH)
        ]
        with self.client.post(
            f"/api/v1/kpis/{kpi}/measurements/",
            json=items,
            name="POST /api/v1/kpis/{id}/measurements/",
            catch_response=True,
        ) as response:
            if response.status_code == 201 and response.json() == {"created": BATCH, "updated": 0}:
                response.success()
                with open(LEDGER, "a") as ledger:  # one write per batch: lines never interleave
                    ledger.write("".join(item["external_id"] + "\n" for item in items))
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class PageViewer(HttpUser):
    weight = 1
    wait_time = between(0.2, 0.5)

    def on_start(self):
        # The session the bench created for its product manager (a Secure cookie would not travel over
        # plain http, so it is sent as a header).
        self.client.headers["Cookie"] = f"sessionid={SESSION}"

    def _page(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code == 200 and b"<html" in response.content:
                response.success()
            else:
                response.failure(f"{response.status_code}")

    @task(2)
    def board(self):
        self._page(f"/portfolios/{PORTFOLIO}/", "page: portfolio board")

    @task(2)
    def product(self):
        self._page(f"/products/{random.choice(PRODUCTS)}/", "page: product")

    @task(1)
    def kpi(self):
        self._page(f"/kpis/{random.choice(KPIS)}/", "page: KPI")
