"""Forms of the launch pages: a plan, a task, a task's status, launching and cancelling, the board's and
the task list's filters, and a checklist template with its task rows. Field names are the services'
(gtm.services.launches); their rules (a reason when blocked or overriding, a member as owner, a release
of the same product) come back as field errors through pmflow.forms.save_with."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from gtm.models import Function, LaunchPlan, LaunchTask, LaunchTemplate, Tier
from gtm.services.launches import OFFSET_RANGE, REASON_MAX
from products.models import Product
from roadmap.models import Release
from roadmap.page_tools import PlanDateField

TIER_SHORT = {1: "Tier 1", 2: "Tier 2", 3: "Tier 3"}


def person(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def members_of(portfolio_id: int):
    return get_user_model().objects.filter(memberships__portfolio_id=portfolio_id).order_by("username")


def _release_label(release: Release) -> str:
    due = f", due {release.target_date:%Y-%m-%d}" if release.target_date else ""
    shipped = " (shipped)" if release.status == Release.Status.SHIPPED else ""
    return f"{release}{due}{shipped}"


def _template_label(template: LaunchTemplate) -> str:
    return f"{template.name} ({TIER_SHORT.get(template.tier, template.tier)})"


def _owner_field():
    return forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="— nobody yet —"
    )


# --- plans --------------------------------------------------------------------------------------------


class LaunchPlanForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What people will call it, e.g. “Tracker 2.0 launch”.")
    tier = forms.TypedChoiceField(
        choices=Tier.choices,
        coerce=int,
        initial=Tier.TWO,
        help_text="How big the launch is: tier 1 gets the full checklist, tier 3 a short one.",
    )
    launch_date = PlanDateField(required=True, label="Launch date", help_text="Launch day; it can move later.")
    release = forms.ModelChoiceField(
        queryset=Release.objects.none(),
        required=False,
        empty_label="— no release —",
        help_text="The release this launch brings to market (the product's planned releases).",
    )
    owner = _owner_field()
    description = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "What launches, for whom, and what success looks like."}
        ),
        max_length=20_000,
        required=False,
    )

    def __init__(self, *args, product: Product, plan: LaunchPlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        releases = Release.objects.filter(product=product)
        keep = Q(status=Release.Status.PLANNED)
        if plan is not None and plan.release_id:
            keep |= Q(pk=plan.release_id)  # a plan keeps its release once that shipped
        self.fields["release"].queryset = releases.filter(keep).order_by("status", "target_date", "version")
        self.fields["release"].label_from_instance = _release_label
        self.fields["owner"].queryset = members_of(product.portfolio_id)
        self.fields["owner"].label_from_instance = person
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    @staticmethod
    def initial_for(plan: LaunchPlan) -> dict:
        names = ("name", "tier", "launch_date", "release", "owner", "description")
        return {name: getattr(plan, name) for name in names}


class LaunchPlanCreateForm(LaunchPlanForm):
    template = forms.ModelChoiceField(
        queryset=LaunchTemplate.objects.none(),
        required=False,
        empty_label="None: start with an empty checklist",
        label="Checklist template",
        help_text="Its tasks are copied into the plan, each due its offset in days from the launch date "
        "(−14: two weeks before launch day). Editing the template later does not change this plan.",
    )
    tier = forms.TypedChoiceField(
        choices=[("", "The template's tier (tier 2 without one)"), *Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="How big the launch is: tier 1 gets the full checklist, tier 3 a short one.",
    )

    field_order = ["name", "template", "tier", "launch_date", "release", "owner", "description"]

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, product=product, **kwargs)
        self.fields["template"].queryset = LaunchTemplate.objects.filter(portfolio_id=product.portfolio_id).order_by(
            "tier", "name", "id"
        )
        self.fields["template"].label_from_instance = _template_label


class LaunchPlanEditForm(LaunchPlanForm):
    move_tasks = forms.BooleanField(
        required=False,
        initial=True,
        label="Move open tasks' due dates with the launch date",
        help_text="When the launch date changes, the tasks not done yet move by as many days.",
    )


class LaunchForm(forms.Form):
    """Launch anyway: why it launches with open required tasks. The service insists on the reason and
    on the role (admins and product managers); the field itself accepts anything."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        label="Why launch with open tasks?",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "e.g. The legal review is a formality; the date is announced."}
        ),
        help_text="Kept with the plan and shown on its page.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        error_messages={"required": "Say why the launch is cancelled; the reason is kept with the plan."},
        max_length=REASON_MAX,
        label="Why is the launch cancelled?",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. Folded into the 3.0 launch in autumn."}),
        help_text="Kept with the plan and shown on its page.",
    )


# --- tasks --------------------------------------------------------------------------------------------


class LaunchTaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    function = forms.ChoiceField(choices=Function.choices, help_text="The team that does it.")
    owner = _owner_field()
    due_date = PlanDateField(label="Due date")
    required = forms.BooleanField(
        required=False,
        initial=True,
        label="Required for launch",
        help_text="Readiness counts the required tasks only; an optional task never holds a launch back.",
    )
    status = forms.ChoiceField(choices=LaunchTask.Status.choices, initial=LaunchTask.Status.TODO)
    blocked_reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        label="What blocks it?",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the status is Blocked.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, required=False, help_text="Details, links."
    )

    def __init__(self, *args, plan: LaunchPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_of(plan.product.portfolio_id)
        self.fields["owner"].label_from_instance = person
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})

    @staticmethod
    def initial_for(task: LaunchTask) -> dict:
        names = ("title", "function", "owner", "due_date", "required", "status", "blocked_reason", "description")
        return {name: getattr(task, name) for name in names}


class TaskStatusForm(forms.Form):
    """The checklist's inline status change; `blocked` needs a reason (the service's rule)."""

    status = forms.ChoiceField(choices=LaunchTask.Status.choices)
    blocked_reason = forms.CharField(required=False, max_length=REASON_MAX)


# --- filters ------------------------------------------------------------------------------------------


class LaunchBoardFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    tier = forms.TypedChoiceField(
        choices=[("", "All tiers"), *[(t.value, TIER_SHORT[t.value]) for t in Tier]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Anyone")
    older = forms.BooleanField(required=False, label="Older launches too")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["owner"].queryset = members_of(portfolio.id)
        self.fields["owner"].label_from_instance = person


class LaunchTaskFilter(forms.Form):
    STATUSES = [("", "Any open status"), *[(s, label) for s, label in LaunchTask.Status.choices if s != "done"]]

    plan = forms.ModelChoiceField(queryset=LaunchPlan.objects.none(), required=False, empty_label="All launches")
    function = forms.ChoiceField(choices=[("", "All functions"), *Function.choices], required=False)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Anyone")
    status = forms.ChoiceField(choices=STATUSES, required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    blocked = forms.BooleanField(required=False, label="Blocked only")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["plan"].queryset = (
            LaunchPlan.objects.filter(product__portfolio=portfolio)
            .exclude(status=LaunchPlan.Status.CANCELLED)
            .select_related("product")
            .order_by("launch_date", "id")
        )
        self.fields["plan"].label_from_instance = lambda plan: f"{plan.name} ({plan.product.name})"
        self.fields["owner"].queryset = members_of(portfolio.id)
        self.fields["owner"].label_from_instance = person


# --- templates ----------------------------------------------------------------------------------------


class LaunchTemplateForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Unique in the portfolio, e.g. “Tier 1 launch”.")
    tier = forms.TypedChoiceField(
        choices=Tier.choices, coerce=int, initial=Tier.TWO, help_text="The launches it is meant for."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, required=False, help_text="When to use it."
    )


class TemplateTaskForm(forms.Form):
    """One task row; a row without a title is blank and skipped (a cleared title takes the task out)."""

    title = forms.CharField(max_length=200, required=False)
    function = forms.ChoiceField(choices=Function.choices, initial=Function.MARKETING)
    offset_days = forms.IntegerField(
        min_value=OFFSET_RANGE[0],
        max_value=OFFSET_RANGE[1],
        initial=0,
        label="Days from launch",
        widget=forms.NumberInput(attrs={"step": "1", "min": str(OFFSET_RANGE[0]), "max": str(OFFSET_RANGE[1])}),
    )
    required = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})

    def has_changed(self):
        # A blank row stays blank when only its defaults were touched (Required unticked, a day typed).
        if self.empty_permitted:
            return bool(str(self.data.get(self.add_prefix("title"), "")).strip())
        return super().has_changed()

    def row(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "function": data["function"],
            "offset_days": data["offset_days"],
            "required": bool(data.get("required")),
        }


TemplateTaskFormSet = forms.formset_factory(TemplateTaskForm, extra=3, can_delete=True, max_num=200, absolute_max=200)
