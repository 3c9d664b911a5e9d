"""The portfolio-scoped viewset base every API resource builds on."""

import hashlib
import json
import re
from collections.abc import Mapping

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.http import parse_etags
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from pmflow import access
from pmflow.errors import DomainError, NotAllowed

_OBJECT_ACTIONS = {"retrieve", "update", "partial_update", "destroy"}
_ID = re.compile(r"[0-9]{1,19}")


class StaleObject(DomainError):
    """This object has changed since you read it: read it again (GET) and send its new ETag in `If-Match`."""

    status = 412
    code = "precondition_failed"


def representation_etag(data) -> str:
    """A strong ETag for an object's JSON representation: equal representations, equal tags."""
    canonical = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'


class ConditionalRequestsSchema(AutoSchema):
    """Documents the conditional requests of object reads and writes: `ETag` on 200, `If-Match` and 412 on
    PUT/PATCH/DELETE, `If-None-Match` and 304 on GET."""

    def _object_action(self) -> str | None:
        action = getattr(self.view, "action", None)
        return action if action in _OBJECT_ACTIONS else None

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        action = self._object_action()
        if action is None:
            return parameters
        if action == "retrieve":
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag you hold: 304 with no body while the object is unchanged.",
                )
            )
        else:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag of the object as you read it; 412 and nothing written when it has "
                    "changed since. Without it (or with `*`) the write is unconditional.",
                )
            )
        if action != "destroy":
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 304],
                    required=True,
                    description="The strong entity tag of the object's current representation.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        action = self._object_action()
        if action == "retrieve":
            responses["304"] = self._get_response_for_code(None, "304", direction=direction)
            responses["304"]["description"] = "Not modified: the `If-None-Match` ETag is current."
        elif action is not None:
            responses["412"] = {
                "description": "The object changed since you read it (stale `If-Match`); nothing written.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        return responses


class ListOnlyCSV:
    """`?format=csv` is the list's download only: on any other action it is a 404, as any unknown format
    is; a method the view never takes stays a 405 whatever format it asks for. Mixed into the viewsets'
    CSV list mixins (products.api.market, kpis.api.goals)."""

    def get_renderers(self):
        request = getattr(self, "request", None)
        if request is not None and request.method.lower() not in self.http_method_names:
            return [renderer() for renderer in self.renderer_classes]
        renderers = super().get_renderers()
        if self.action is None or self.action == "list":  # None: a method no action takes, a 405 to render
            return renderers
        return [r for r in renderers if r.format != "csv"]


class PortfolioScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A viewset whose queryset is limited to the requesting user's portfolios.

    Subclasses give `get_queryset` (a selector scoped to the user) and use the access lookups of
    `pmflow.access` for writes, so a foreign object is a 404 and a read-only role a 403. Updates and
    deletes look the object up (with the write check) before they read the body; creates refuse a
    user who may write this kind of object in none of their portfolios before parsing the payload,
    then read only the reference that places the new object in a portfolio (and refuse a role that may
    not write there) before the serializer validates anything else.

    Object reads carry a strong `ETag` (a hash of the representation); PUT, PATCH and DELETE with an
    `If-Match` that is not the current one are 412 and write nothing. The comparison is made under the
    object's row lock, in the write's transaction, so of two writers holding the same ETag one wins.
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    create_needs_role = True  # False where anyone signed in may create (a new portfolio)
    schema = ConditionalRequestsSchema()

    # --- creates: the role before the payload ----------------------------------------------------------

    def create(self, request, *args, **kwargs):
        model = self.get_queryset().model
        portfolios = access.roles_by_portfolio(request.user)
        if self.create_needs_role:
            if not any(access.can(request.user, model, pid) for pid in portfolios):
                raise NotAllowed("Your role does not allow creating this in any of your portfolios.")
            self.require_role_for_reference(request.data, model)
        return super().create(request, *args, **kwargs)

    def require_role_for_reference(self, data, model, action: str = access.WRITE) -> None:
        """Refuse (403) a body that places a new `model` object in a portfolio of the user's where their
        role may not `action` it, reading only that reference (`portfolio` of a product line, `product`
        of a KPI: the first step of the model's registered portfolio path). A missing, malformed,
        unknown or foreign reference is left to the serializer, whose 400 on the field stays the answer.
        """
        name = access.policies.of(model).portfolio.split("__")[0]
        if name == "pk" or not isinstance(data, Mapping):
            return
        raw = data.get(name)
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not _ID.fullmatch(str(raw)):
            return
        target = model._meta.get_field(name).related_model
        path = access.policies.of(target).portfolio
        portfolio_id = target._default_manager.filter(pk=int(raw)).values_list(path, flat=True).first()
        if portfolio_id is not None and access.role_in(self.request.user, portfolio_id) is not None:
            access.require(self.request.user, model, portfolio_id, action)

    # --- reads: ETag, If-None-Match ------------------------------------------------------------------

    def object_etag(self, instance) -> str:
        return representation_etag(self.get_serializer(instance).data)

    def retrieve(self, request, *args, **kwargs):
        data = self.get_serializer(self.get_object()).data
        etag = representation_etag(data)
        held = parse_etags(request.headers.get("If-None-Match", ""))
        if "*" in held or etag in held or f"W/{etag}" in held:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    # --- writes: If-Match under the row lock ---------------------------------------------------------

    def write_check(self):
        """This write's object as the access check finds it, before anything is locked: 404 for a missing
        or foreign one, 403 for a role that may not write it. Only its pk and the ids `lock_first` needs are
        used, so a view whose full read is costly may answer with a lighter query that checks the same."""
        return self.get_object()

    def lock_first(self, instance) -> None:
        """Rows to lock before the object's own, in the order the services take them (e.g. its product)."""

    def locked_object(self):
        """The object for this write, read again under its row lock after the access check, with a
        stale `If-Match` refused (412). Call inside the write's transaction."""
        instance = self.write_check()  # 404 for missing or foreign, 403 for a read-only role, first
        self.lock_first(instance)
        model = type(instance)
        list(model._default_manager.select_for_update(of=("self",)).filter(pk=instance.pk).values_list("pk"))
        instance = self.get_object()  # what the other writer committed while we waited for the lock
        wanted = request_if_match(self.request)
        if wanted is not None and self.object_etag(instance) not in wanted:
            raise StaleObject()
        return instance

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
            # Read back as a GET would, so the ETag sent equals the one the next read gives.
            data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": representation_etag(data)})

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.perform_destroy(self.locked_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def csv_list_response(view, request, lines_of, filename: str) -> StreamingHttpResponse:
    """A list's `?format=csv`: every matching row (no pages), streamed. `page` and `page_size` are still
    judged as the JSON list judges them (the schema describes them once for both), then the view's filters
    apply; `lines_of(queryset)` yields the CSV lines."""
    view.paginator.check_params(request)
    rows = view.filter_queryset(view.get_queryset())
    response = StreamingHttpResponse(lines_of(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def request_if_match(request) -> list[str] | None:
    """The strong ETags of `If-Match`, or None when any version will do (no header, or `*`).

    Weak tags never match (RFC 9110 compares If-Match strongly), so a header of only weak or malformed
    tags matches nothing."""
    header = request.headers.get("If-Match", "")
    if not header.strip():
        return None
    tags = parse_etags(header)
    if "*" in tags:
        return None
    return [tag for tag in tags if not tag.startswith("W/")]
