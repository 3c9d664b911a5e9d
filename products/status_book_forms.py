"""Forms of the status book pages. Field names are the API's; the rules (minutes 1–1,440, a day up to
tomorrow, a product of this portfolio, some text) are products.services.status_book's and come back as
field errors through pmflow.forms.save_with."""

from django import forms

from products.models import Portfolio, Product, StatusBookEntry
from products.services import status_book as services

DATE_WIDGET = {"type": "date"}


class EntryForm(forms.Form):
    """One line of the status book: the full form, and the dashboard's one-line form (same fields)."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None)
    category = forms.ChoiceField(
        choices=StatusBookEntry.Category.choices,
        initial=StatusBookEntry.Category.DAILY,
        help_text="Daily business (sales support, questions, the log itself), short-term (campaigns, events, "
        "the annual plan) or long-term (strategy, new products).",
    )
    minutes = forms.IntegerField(
        min_value=1,
        max_value=services.MINUTES_MAX,
        help_text="Whole minutes, e.g. 45 or 90.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    text = forms.CharField(
        label="What you did",
        max_length=services.TEXT_MAX,
        widget=forms.TextInput(attrs={"placeholder": "E.g. Pricing call with sales for the Q3 deals"}),
    )
    date = forms.DateField(label="Day", widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"))

    def __init__(self, *args, portfolio: Portfolio, entry: StatusBookEntry | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        products = portfolio.products.filter(archived_at__isnull=True)
        if entry is not None:  # an archived product the entry is filed under stays a choice
            products = portfolio.products.filter(pk=entry.product_id) | products
        self.fields["product"].queryset = products.distinct().order_by("name")
        latest = services.latest_day(portfolio)
        self.fields["date"].widget.attrs.update({"min": f"{services.FIRST_YEAR}-01-01", "max": latest.isoformat()})
        self.fields["date"].help_text = "Today unless you log a day you missed."
        if not self.is_bound and entry is None:
            self.initial.setdefault("date", services.today_in(portfolio))

    @staticmethod
    def initial_for(entry: StatusBookEntry) -> dict:
        return {
            "product": entry.product_id,
            "category": entry.category,
            "minutes": entry.minutes,
            "text": entry.text,
            "date": entry.date,
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        return {name: data[name] for name in services.ENTRY_FIELDS if name in data}


class PeriodForm(forms.Form):
    """The period and person of the book and the balance (GET); a value that is not valid is ignored."""

    author = forms.ChoiceField(label="Person", required=False)
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")

    def __init__(self, *args, portfolio: Portfolio, user, everyone: bool = False, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.user = user
        people = list(services.members_of(portfolio).values_list("username", flat=True))
        if user.get_username() not in people:
            people.insert(0, user.get_username())
        choices = [(name, "Me" if name == user.get_username() else name) for name in people]
        if everyone:
            choices.insert(0, ("", "Everyone"))
        self.fields["author"].choices = choices
        self.fields["author"].initial = user.get_username()
        self.fields["product"].queryset = portfolio.products.order_by("name")

    def wanted(self) -> dict:
        """The valid values given; `author` is the user's own username unless another was chosen."""
        if not self.is_bound:
            return {"author": self.user.get_username()}
        self.is_valid()
        wanted = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "author" not in self.data:
            wanted["author"] = self.user.get_username()
        return wanted


# `from` is a Python keyword: the period's ends are added by name (the query is ?from=&to=, as the API's).
for _name, _label in (("from", "From"), ("to", "to")):
    PeriodForm.base_fields[_name] = PeriodForm.declared_fields[_name] = forms.DateField(
        label=_label, required=False, widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")
    )


class BookFilter(PeriodForm):
    """The book's filters: the period form, "Everyone" among the people, a category and a search."""

    category = forms.ChoiceField(choices=[("", "Any category"), *StatusBookEntry.Category.choices], required=False)
    search = forms.CharField(max_length=200, required=False, label="Search")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, everyone=True, **kwargs)
        self.fields["search"].widget.attrs.update({"type": "search", "placeholder": "What was done"})
