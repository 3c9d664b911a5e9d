"""The API's JSON parser: DRF's, refusing a body nested too deeply or naming a character no text can hold."""

import io
import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

# A \u escape of a UTF-16 surrogate (D800-DFFF); a pair of them is one character, a lone one is none.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Deeper than any body of the API needs (a measurement batch is 2, a rule's params 3-4); 10,000 levels
# were a RecursionError, a 500.
MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error – nested too deeply (more than {MAX_DEPTH} levels)."


def nesting_depth(data, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in parsed JSON, counting no further than `limit` + 1.

    Iterative: no nesting can exhaust the stack here."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class JSONParser(DRFJSONParser):
    """`"\\ud863"` alone parses into a str that cannot be encoded, so whatever writes it out later (the
    error message that quotes it, the database) failed with a 500. Such a body is bad JSON: 400. So is
    one nested deeper than MAX_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:  # json's C scanner stops at the interpreter's recursion limit (~1,000 levels)
            raise ParseError(TOO_DEEP) from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        if _SURROGATE_ESCAPE.search(body):
            try:
                json.dumps(data, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError("JSON parse error - a \\u escape names a lone surrogate, not a character.") from exc
        return data
