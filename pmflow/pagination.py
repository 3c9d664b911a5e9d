"""Pagination for the API: page numbers for resources, a cursor for measurements.

`page_size` is checked as the schema says (an integer of at least 1; a larger one than the maximum
asks for the maximum): anything else is a 400 on the parameter, where DRF would silently fall back
to the default size.
"""

import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

_DIGITS = re.compile(r"[0-9]+")


class StrictPageSize:
    page_size_query_param = "page_size"
    max_page_size: int
    page_size: int

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        digits = raw[0].lstrip("0") if len(raw) == 1 and _DIGITS.fullmatch(raw[0]) else ""
        if not digits:
            raise ValidationError({self.page_size_query_param: ["Give one whole number of at least 1."]})
        if len(digits) > 9:  # above any maximum (and no 4,300-digit int() conversion)
            return self.max_page_size
        return min(int(digits), self.max_page_size)

    def page_size_parameter(self) -> dict:
        return {
            "name": self.page_size_query_param,
            "required": False,
            "in": "query",
            "description": f"Results per page, {self.page_size} unless given; at most {self.max_page_size} "
            "(a larger number gives that many).",
            "schema": {"type": "integer", "minimum": 1},
        }


class PagePagination(StrictPageSize, PageNumberPagination):
    page_size = 50
    max_page_size = 500

    def get_page_number(self, request, paginator):
        raw = request.query_params.getlist(self.page_query_param)
        if raw and (len(raw) > 1 or not (_DIGITS.fullmatch(raw[0]) or raw[0] in self.last_page_strings)):
            raise NotFound("Invalid page.")  # DRF's answer for a page number it cannot use, `?page=` too
        return super().get_page_number(request, paginator)

    def check_params(self, request) -> None:
        """For a list that answers in one piece (`?format=csv`: every matching row): `page` and `page_size`
        are judged as the paged JSON list judges them (a 404 for a page that is no page number, a 400 for
        a bad size), so the schema that states them holds for both."""
        self.get_page_size(request)
        raw = request.query_params.getlist(self.page_query_param)
        number = raw[0] if len(raw) == 1 else ""
        if raw and not ((_DIGITS.fullmatch(number) and number.lstrip("0")) or number in self.last_page_strings):
            raise NotFound("Invalid page.")  # `?page=0` included: no page has that number

    def get_schema_operation_parameters(self, view):
        page = {
            "name": self.page_query_param,
            "required": False,
            "in": "query",
            "description": "A page number (1 is the first); a page past the end is a 404.",
            "schema": {"type": "integer", "minimum": 1},
        }
        return [page, self.page_size_parameter()]


class MeasurementCursorPagination(StrictPageSize, CursorPagination):
    page_size = 500
    max_page_size = 10_000
    ordering = ("-observed_at", "-id")

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view)[:1], self.page_size_parameter()]
