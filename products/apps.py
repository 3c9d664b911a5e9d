from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products and lifecycle"

    def ready(self):
        from pmflow.access import policies
        from products import (
            gates,  # noqa: F401  (the criterion types products owns)
            notification_handlers,  # noqa: F401  (domain events → notifications)
            suggestion_panels,  # noqa: F401  (pending suggestions: panels)
            webhook_handlers,  # noqa: F401  (domain events → webhook deliveries)
        )
        from products.models import (
            AnalysisSettings,
            BudgetLine,
            BudgetPlan,
            Competitor,
            CompetitorMove,
            Document,
            DocumentComment,
            DocumentVersion,
            DomainEvent,
            Feedback,
            Goal,
            Idea,
            KeyResult,
            LifecycleRule,
            MarketInsight,
            Membership,
            Notification,
            NotificationSetting,
            Persona,
            Portfolio,
            Product,
            ProductLine,
            Role,
            SalesTarget,
            Segment,
            StageGate,
            StageSuggestion,
            StageTransition,
            StatusBookEntry,
            Webhook,
            WebhookDelivery,
        )

        admins = {Role.ADMIN}
        managers = {Role.ADMIN, Role.PRODUCT_MANAGER}
        policies.register(Portfolio, portfolio="pk", write=admins)
        policies.register(Membership, portfolio="portfolio", write=admins)
        policies.register(ProductLine, portfolio="portfolio", write=managers)
        policies.register(Product, portfolio="portfolio", write=managers, actions={"transition": managers})
        # Strategy records roadmap items link to; marketers write feedback (API-CONTRACT "Everywhere").
        policies.register(Goal, portfolio="product__portfolio", write=managers)
        policies.register(KeyResult, portfolio="goal__product__portfolio", write=managers)
        policies.register(Idea, portfolio="product__portfolio", write=managers)
        policies.register(
            Feedback, portfolio="product__portfolio", write={Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER}
        )
        # Marketers write segments and personas (API-CONTRACT "Everywhere"); go-to-market targets them.
        policies.register(Segment, portfolio="portfolio", write={Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER})
        policies.register(Persona, portfolio="portfolio", write={Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER})
        # Market insight and competitor moves are marketers' too; the competitor profiles are product managers'.
        marketers = {Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER}
        policies.register(MarketInsight, portfolio="portfolio", write=marketers)
        policies.register(Competitor, portfolio="portfolio", write=managers)
        policies.register(CompetitorMove, portfolio="competitor__portfolio", write=marketers)
        policies.register(LifecycleRule, portfolio="portfolio", write=admins)
        # The product manager's desk: the status book (only an entry's author or an admin changes it: the
        # services check that), budget plans, documents and their review comments; the analysis thresholds
        # are portfolio settings (admins). Versions are written by the document services only.
        policies.register(StatusBookEntry, portfolio="product__portfolio", write=managers)
        policies.register(BudgetPlan, portfolio="portfolio", write=managers)
        policies.register(BudgetLine, portfolio="plan__portfolio", write=managers)
        policies.register(SalesTarget, portfolio="plan__portfolio", write=managers)
        policies.register(AnalysisSettings, portfolio="portfolio", write=admins)
        policies.register(Document, portfolio="product__portfolio", write=managers)
        policies.register(DocumentComment, portfolio="document__product__portfolio", write=managers)
        policies.register(DocumentVersion, portfolio="document__product__portfolio", write=set())
        # Lifecycle automation: suggestions are decided by managers; gates and webhooks are admins'
        # settings; deliveries are written by the worker. Notifications and their settings are each
        # person's own (the views narrow them to the requesting user): every member writes their own.
        policies.register(
            StageSuggestion,
            portfolio="product__portfolio",
            write=managers,
            actions={"accept": managers, "dismiss": managers},
        )
        policies.register(StageGate, portfolio="portfolio", write=admins)
        policies.register(Webhook, portfolio="portfolio", write=admins, actions={"test": admins})
        policies.register(WebhookDelivery, portfolio="webhook__portfolio", write=set())
        everyone = {Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER}
        policies.register(Notification, portfolio="portfolio", write=everyone)
        policies.register(NotificationSetting, portfolio="portfolio", write=everyone)
        # Written by services only (the ledger and the events): members read them, nobody writes them.
        policies.register(StageTransition, portfolio="product__portfolio", write=set())
        policies.register(DomainEvent, portfolio="portfolio", write=set())
