"""Research and planning documents: Markdown, versions, diffs, review comments, links."""

urlpatterns = []


def register(router) -> None:
    pass
