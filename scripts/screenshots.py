#!/usr/bin/env python
"""Screenshot every page of a running pmflow, for reviewing the UI.

Start a server with the demo data first (scripts/run does), then:

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out screenshots]

Logs in (demo / pmflow-demo by default) and writes full-page PNGs of every page at 1440, 900 and
390 px into screenshots/ (git-ignored): login, dashboard (also filtered), a product, a refused move
(nothing is changed), a product with KPI charts, a KPI by month and by day, the measurements page
(also with a refused paste), every create/edit/delete form, product lines, rules, members, settings,
the roadmap (boards, items, an item and its form, timeline, matrix, releases, a release, the scoring
weights), launches (board, open tasks, templates and a template's form, a plan, its forms, a refused
launch), the calendar, messaging, campaigns, assets, events and press; the strategy (goals, insights,
competitors, segments and their matrix, personas, ideas, feedback, a product's strategy); the desk (status
book and balance, marketing plans, the portfolio analysis, documents); lifecycle automation (suggestions,
gates and a gate's form, launch reviews, signals, webhooks, notifications and their settings), each list
with the first object it links to; the 404 page and the API docs. Needs Chromium (/usr/bin/chromium or PMFLOW_CHROMIUM).
"""

import argparse
import os
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDE, NARROW, HEIGHT = 1440, 900, 900


def chromium_path() -> str | None:
    candidate = os.environ.get("PMFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if os.path.exists(candidate) else None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("PMFLOW_URL", "http://127.0.0.1:8000"), help="server")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="pmflow-demo")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="folder for the PNGs")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for a page")
    return parser.parse_args(argv)


class Shooter:
    def __init__(self, page: Page, base: str, out: Path):
        self.page, self.base, self.out = page, base.rstrip("/"), out
        self.taken: list[Path] = []

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path, wait_until="networkidle")
        if response is None or response.status >= 500:
            raise SystemExit(f"{path}: HTTP {response.status if response else '?'}")

    def shot(self, name: str) -> None:
        path = self.out / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  ({self.page.url})")


def run(args: argparse.Namespace) -> int:
    try:
        urllib.request.urlopen(args.url.rstrip("/") + "/login/", timeout=5).close()
    except (urllib.error.URLError, OSError) as exc:
        print(f"No pmflow at {args.url} ({exc}). Start one first, e.g. scripts/run.", file=sys.stderr)
        return 2
    executable = chromium_path()
    if executable is None:
        print("Chromium not found: apt-get install chromium, or set PMFLOW_CHROMIUM.", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"Screenshots of {args.url} into {args.out}:")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDE, "height": HEIGHT})
        page.set_default_timeout(args.timeout * 1000)
        shots = Shooter(page, args.url, args.out)
        try:
            take_all(shots, page, args)
        except PlaywrightError as exc:
            print(f"Failed on {page.url}: {exc}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    print(f"{len(shots.taken)} screenshots.")
    return 0


WIDTHS = (1440, 900, 390)


def shoot_widths(shots: Shooter, page: Page, name: str) -> None:
    """The page at 1440, 900 and 390 px (a phone), each full length."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        shots.shot(f"{name}-{width}")
    page.set_viewport_size({"width": WIDE, "height": HEIGHT})


def take_all(shots: Shooter, page: Page, args: argparse.Namespace) -> None:
    shots.go("/login/")
    shoot_widths(shots, page, "01-login")

    page.fill("#id_username", args.username)
    page.fill("#id_password", args.password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise SystemExit(f"Could not log in as {args.username}: is the demo data loaded (seed_demo)?")
    dashboard = page.url.removeprefix(shots.base).split("?")[0]
    portfolio_id = dashboard.strip("/").split("/")[-1]
    shoot_widths(shots, page, "02-dashboard")
    shots.go(f"{dashboard}?search=a")
    shoot_widths(shots, page, "03-dashboard-filtered")

    cards = page.locator(".product-card")
    shots.go(dashboard)
    if cards.count() == 0:
        raise SystemExit("The dashboard shows no products: load the demo data (manage.py seed_demo).")
    first_product = cards.first.get_attribute("href")
    # The product furthest along the lifecycle that has KPI data: the richest product page.
    with_kpis = page.locator(".product-card:has(svg.sparkline)").last.get_attribute("href")

    shots.go(first_product)
    shoot_widths(shots, page, "04-product")

    # A move the gate refuses: skip to the last stage offered, without override. Nothing changes.
    if page.locator("#move").count():
        options = page.locator("#id_to_stage option")
        page.select_option("#id_to_stage", options.nth(options.count() - 1).get_attribute("value"))
        page.fill("#id_reason", "Screenshot: trying to skip stages.")
        page.locator("#id_override").set_checked(False)
        page.click("#move button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.locator(".gate-errors, #move .errors").first.wait_for()
        shots.shot("05-product-transition-refused-1440")
    else:
        print(f"  (no Move stage form for {args.username}: skipped the refused transition)")

    shots.go(with_kpis)
    shoot_widths(shots, page, "06-product-with-kpis")
    product_id = with_kpis.strip("/").split("/")[-1]
    kpi_link = page.locator(".kpi-chart h3 a").first.get_attribute("href")
    for granularity in ("month", "day"):
        shots.go(f"{kpi_link}?granularity={granularity}")
        shoot_widths(shots, page, f"07-kpi-{granularity}")
    kpi_id = kpi_link.strip("/").split("/")[-1]

    # The workspace: every form a product manager fills in, read-only (nothing is submitted but a
    # paste with bad rows, which imports nothing).
    for name, path in [
        ("08-measurements", f"/kpis/{kpi_id}/measurements/"),
        ("09-kpi-edit", f"/kpis/{kpi_id}/edit/"),
        ("10-kpi-new", f"/kpis/new/?product={product_id}"),
        ("11-product-edit", f"/products/{product_id}/edit/"),
        ("12-product-new", f"/products/new/?portfolio={portfolio_id}"),
        ("13-product-delete", f"/products/{product_id}/delete/"),
        ("14-product-lines", f"/portfolios/{portfolio_id}/product-lines/"),
        ("15-product-line-new", f"/product-lines/new/?portfolio={portfolio_id}"),
        ("16-rules", f"/portfolios/{portfolio_id}/rules/"),
        ("17-rule-new", f"/portfolios/{portfolio_id}/rules/new/"),
        ("18-members", f"/portfolios/{portfolio_id}/members/"),
        ("19-settings", f"/portfolios/{portfolio_id}/settings/"),
    ]:
        shots.go(path)
        shoot_widths(shots, page, name)

    shots.go(f"/kpis/{kpi_id}/measurements/")
    page.fill("#id_rows", "2026-02-30\t12\nyesterday\t5\n2026-03-01\tmany")
    page.click("form:has(#id_rows) button[type=submit]")
    page.wait_for_load_state("networkidle")
    shoot_widths(shots, page, "20-measurements-refused-paste")

    rule_edit = page.locator("a[href*='/rules/'][href$='/edit/']")
    shots.go(f"/portfolios/{portfolio_id}/rules/")
    if rule_edit.count():
        shots.go(rule_edit.first.get_attribute("href"))
        shoot_widths(shots, page, "21-rule-edit")

    # The roadmap (issue 9): boards, items, an item with its scores and dependencies, its form, the
    # timeline, the matrix, releases, a release with open items, the scoring weights. Read-only.
    for name, path in [
        ("24-roadmap-board", f"/portfolios/{portfolio_id}/roadmap/"),
        ("25-product-roadmap", f"/products/{product_id}/roadmap/"),
        ("26-roadmap-items", f"/portfolios/{portfolio_id}/roadmap/items/?sort=-rice_score"),
        ("27-roadmap-timeline", f"/portfolios/{portfolio_id}/roadmap/timeline/"),
        ("28-roadmap-matrix", f"/portfolios/{portfolio_id}/roadmap/matrix/"),
        ("29-releases", f"/portfolios/{portfolio_id}/releases/"),
        ("30-scoring-weights", f"/portfolios/{portfolio_id}/scoring/"),
    ]:
        shots.go(path)
        shoot_widths(shots, page, name)
    shots.go(f"/portfolios/{portfolio_id}/roadmap/items/?sort=-rice_score")
    item_link = page.locator("a[href^='/roadmap-items/'][href$='/']:not([href*='new'])").first.get_attribute("href")
    shots.go(item_link)
    shoot_widths(shots, page, "31-roadmap-item")
    shots.go(item_link + "edit/")
    shoot_widths(shots, page, "32-roadmap-item-edit")
    shots.go(f"/portfolios/{portfolio_id}/releases/?status=planned")
    release_link = page.locator("a[href^='/releases/'][href$='/']:not([href*='new'])").first.get_attribute("href")
    shots.go(release_link)
    shoot_widths(shots, page, "33-release")

    # Launches (issue 10): the board, the open tasks, the templates, a plan being prepared with its
    # checklist, its forms and a launch the readiness refuses (409: nothing changes).
    for name, path in [
        ("40-launch-board", f"/portfolios/{portfolio_id}/launches/"),
        ("41-launch-tasks", f"/portfolios/{portfolio_id}/launch-tasks/"),
        ("42-launch-templates", f"/portfolios/{portfolio_id}/launch-templates/"),
        ("43-launch-plan-new", f"/launches/new/?product={product_id}"),
    ]:
        shots.go(path)
        shoot_widths(shots, page, name)
    shots.go(f"/portfolios/{portfolio_id}/launch-templates/")
    template_link = page.locator("a[href^='/launch-templates/'][href$='/edit/']")
    if template_link.count():
        shots.go(template_link.first.get_attribute("href"))
        shoot_widths(shots, page, "44-launch-template-edit")
    shots.go(f"/portfolios/{portfolio_id}/launches/")
    plan_link = page.locator(".column-planning .launch-item h3 a")
    if plan_link.count():
        plan_path = plan_link.first.get_attribute("href")
        shots.go(plan_path)
        shoot_widths(shots, page, "45-launch-plan")
        for name, suffix in [("46-launch-plan-edit", "edit/"), ("47-launch-task-new", "tasks/new/")]:
            shots.go(plan_path + suffix)
            shoot_widths(shots, page, name)
        shots.go(plan_path)
        launch = page.locator("#launch form[action$='/launch/']")
        if launch.count():  # a plain launch of a plan with open tasks: the 409 page, nothing launched
            page.evaluate("document.querySelector(\"#launch form[action$='/launch/'] input[name=override]\")?.remove()")
            launch.first.evaluate("form => form.submit()")
            page.wait_for_load_state("networkidle")
            shots.shot("48-launch-refused-1440")
    else:
        print("  (no launch plan in planning: skipped the plan pages)")

    # The rest of go-to-market, the strategy (issue 11), the desk (issue 12) and lifecycle automation
    # (issue 13): each list, and the first object a list links to. Read-only.
    p = f"/portfolios/{portfolio_id}"
    for name, path, detail in [
        ("49-launch-calendar", f"{p}/calendar/", None),
        ("50-messaging", f"{p}/messaging/", "/messaging/"),
        ("51-campaigns", f"{p}/campaigns/", "/campaigns/"),
        ("52-assets", f"{p}/assets/", None),
        ("53-events", f"{p}/events/", None),
        ("54-press", f"{p}/press/", None),
        ("60-goals", f"{p}/goals/", None),
        ("61-insights", f"{p}/insights/", "/insights/"),
        ("62-competitors", f"{p}/competitors/", "/competitors/"),
        ("63-segments", f"{p}/segments/", None),
        ("64-segment-matrix", f"{p}/segments/matrix/", None),
        ("65-personas", f"{p}/personas/", "/personas/"),
        ("66-ideas", f"{p}/ideas/", "/ideas/"),
        ("67-feedback", f"{p}/feedback/", "/feedback/"),
        ("68-product-strategy", f"/products/{product_id}/strategy/", None),
        ("70-status-book", f"{p}/status-book/", None),
        ("71-status-book-balance", f"{p}/status-book/balance/", None),
        ("72-budget-plans", f"{p}/budget-plans/", "/budget-plans/"),
        ("73-analysis", f"{p}/analysis/", None),
        ("74-analysis-settings", f"{p}/analysis/settings/", None),
        ("75-documents", f"{p}/documents/", "/documents/"),
        ("80-suggestions", f"{p}/suggestions/", "/suggestions/"),
        ("81-gates", f"{p}/gates/", None),
        ("82-gate-edit", f"{p}/gates/development/", None),
        ("83-launch-reviews", f"{p}/launch-reviews/", "/launch-reviews/"),
        ("84-signals", f"{p}/signals/", "/signals/"),
        ("85-webhooks", f"{p}/webhooks/", "/webhooks/"),
        ("86-notifications", "/notifications/", None),
        ("87-notification-settings", "/notifications/settings/", None),
    ]:
        shots.go(path)
        shoot_widths(shots, page, name)
        if detail:
            link = page.locator(f"main a[href^='{detail}'][href$='/']:not([href$='/new/']):not([href$='/edit/'])")
            if link.count():
                shots.go(link.first.get_attribute("href"))
                shoot_widths(shots, page, f"{name}-one")
            else:
                print(f"  ({path} links to no {detail}…: skipped its page)")

    page.goto(shots.base + "/products/999999999/")
    shoot_widths(shots, page, "22-not-found")

    shots.go("/api/docs/")
    page.locator(".swagger-ui .info, .swagger-ui .opblock").first.wait_for()
    shots.shot("23-api-docs-1440")

    shots.go(dashboard)  # back where we started; no state was changed


if __name__ == "__main__":
    sys.exit(run(parse_args()))
