"""Every write to go-to-market data. Callers import the module of the area they change:

- `gtm.services.launches`: launch templates, launch plans (create from a template, launch, cancel) and
  their tasks; a plan's status follows its required tasks;
- `gtm.services.messaging`: messaging and positioning versions (submit, approve, revise);
- `gtm.services.campaigns`: campaigns (dates, budget, spend);
- `gtm.services.enablement`: sales enablement assets, events and press items;
- `gtm.services.feeds`: calendar feed tokens.

Each service runs in one transaction, takes locks in the documented order (portfolio → product → the
product's launch plans → their tasks) and records a domain event for every change. `gtm.services.rules`
holds the checks they share (text, dates, money, owners, links within one product).
"""
