"""The API's JSON parser: DRF's, refusing a body that names a character no text can hold."""

import io
import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

# A \u escape of a UTF-16 surrogate (D800-DFFF); a pair of them is one character, a lone one is none.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class JSONParser(DRFJSONParser):
    """`"\\ud863"` alone parses into a str that cannot be encoded, so whatever writes it out later (the
    error message that quotes it, the database) failed with a 500. Such a body is bad JSON: 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        if _SURROGATE_ESCAPE.search(body):
            try:
                json.dumps(data, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError("JSON parse error - a \\u escape names a lone surrogate, not a character.") from exc
        return data
