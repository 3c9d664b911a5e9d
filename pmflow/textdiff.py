"""A readable diff of two texts, for any page or API that shows what changed between versions.

`text_ops(old, new)` compares line by line, then sentence by sentence inside the lines that changed, then
word by word inside the sentences that changed (difflib), as a list of operations
`{"op": "equal" | "delete" | "insert", "text"}` that put together give the old text (equal + delete) and
the new one (equal + insert). `ops_html(ops)` renders them with <del> and <ins>, every text escaped.

No domain code here: gtm.diff (messaging versions) and products.services.documents (document versions)
build their field-by-field diffs on it.
"""

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words and single punctuation marks, each with the white space after it: the units a word diff adds or
# removes (a space alone would be the commonest token, and the costliest to match).
TOKENS = re.compile(r"\s+|\w+\s*|[^\w\s]\s*")
# Two blocks of more than this many units multiplied (lines, sentences or words) are not compared finer:
# the old block is shown removed and the new one added (a 20,000-character paragraph without a full stop).
WORD_DIFF_BUDGET = 1_000_000


def _tokens(text: str) -> list[str]:
    return TOKENS.findall(text)


SENTENCES = re.compile(r"[^.!?;]*(?:[.!?;]+\s*|$)")


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in SENTENCES.findall(text) if sentence]


def _append(ops: list[dict], op: str, text: str) -> None:
    if not text:
        return
    if ops and ops[-1]["op"] == op:
        ops[-1]["text"] += text
    else:
        ops.append({"op": op, "text": text})


def _units_ops(old_units: list[str], new_units: list[str], refine, *, keys=None) -> list[dict]:
    """Match units (lines, sentences, words); `refine(old, new)` compares a replaced block finer. Over
    the budget, the block is replaced whole. `keys` maps a unit to what is compared (default: itself)."""
    ops: list[dict] = []
    if len(old_units) * len(new_units) > WORD_DIFF_BUDGET:
        _append(ops, "delete", "".join(old_units))
        _append(ops, "insert", "".join(new_units))
        return ops
    a = [keys(u) for u in old_units] if keys else old_units
    b = [keys(u) for u in new_units] if keys else new_units
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for old, new in zip(old_units[i1:i2], new_units[j1:j2], strict=True):
                if old == new:
                    _append(ops, "equal", old)
                    continue
                # The same word with other white space after it ("three" and "three\n").
                word = old.rstrip()
                _append(ops, "equal", word)
                _append(ops, "delete", old[len(word) :])
                _append(ops, "insert", new[len(word) :])
        elif tag == "delete":
            _append(ops, "delete", "".join(old_units[i1:i2]))
        elif tag == "insert":
            _append(ops, "insert", "".join(new_units[j1:j2]))
        elif refine is None:
            _append(ops, "delete", "".join(old_units[i1:i2]))
            _append(ops, "insert", "".join(new_units[j1:j2]))
        else:
            for op in refine("".join(old_units[i1:i2]), "".join(new_units[j1:j2])):
                _append(ops, op["op"], op["text"])
    return ops


def _word_ops(old: str, new: str) -> list[dict]:
    return _units_ops(_tokens(old), _tokens(new), None, keys=lambda token: token.rstrip() or token)


def _sentence_ops(old: str, new: str) -> list[dict]:
    return _units_ops(_sentences(old), _sentences(new), _word_ops)


def _tidy(ops: list[dict]) -> list[dict]:
    """Readable operations: white space alone between two changes joins them ("~~the quick~~ a slow",
    not "~~the~~ a ~~quick~~ slow"), and in each run of changes the deletion comes before the insertion."""
    tidy: list[dict] = []
    run = {"delete": "", "insert": ""}

    def flush():
        _append(tidy, "delete", run["delete"])
        _append(tidy, "insert", run["insert"])
        run["delete"] = run["insert"] = ""

    for index, op in enumerate(ops):
        if op["op"] != "equal":
            run[op["op"]] += op["text"]
            continue
        between = 0 < index < len(ops) - 1 and (run["delete"] or run["insert"]) and ops[index + 1]["op"] != "equal"
        if between and not op["text"].strip():
            run["delete"] += op["text"]
            run["insert"] += op["text"]
            continue
        flush()
        _append(tidy, "equal", op["text"])
    flush()
    return tidy


def text_ops(old: str, new: str) -> list[dict]:
    """The operations turning `old` into `new`: lines first, then sentences, then words inside what
    changed."""
    old, new = old or "", new or ""
    if old == new:
        return [{"op": "equal", "text": old}] if old else []
    return _tidy(_units_ops(old.splitlines(keepends=True), new.splitlines(keepends=True), _sentence_ops))


def ops_html(ops: list[dict]) -> SafeString:
    """The operations as HTML: deletions in <del>, insertions in <ins>, every text escaped."""
    parts = []
    for op in ops:
        text = escape(op["text"])
        if op["op"] == "delete":
            parts.append(f"<del>{text}</del>")
        elif op["op"] == "insert":
            parts.append(f"<ins>{text}</ins>")
        else:
            parts.append(text)
    return mark_safe("".join(parts))  # noqa: S308 - each text is escaped above
