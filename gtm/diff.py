"""What changed between two versions of a messaging line, field by field.

Texts (positioning, value proposition, a message, a proof point, an objection, a response) are compared
line by line, then word by word inside the lines that changed (difflib), as a list of operations
`{"op": "equal" | "delete" | "insert", "text"}` that put together give the old text (equal + delete)
and the new one (equal + insert). Key messages are matched by their message (and objections by their
objection) so a reordered or reworded row reads as such; proof points are matched within their
message. Segments and personas are sets: added, removed, kept.

`messaging_diff(old, new)` is what the API answers (`GET /api/v1/messaging/{id}/diff/?against=`) and
what the diff page renders (`ops_html` marks insertions and deletions with <ins> and <del>).
"""

from difflib import SequenceMatcher

from pmflow.textdiff import _tokens, ops_html, text_ops

# A reworded row is paired with its old self when this similar (0–1); below, it is one removed, one added.
SIMILAR = 0.5


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _similar(old: str, new: str) -> bool:
    return SequenceMatcher(None, _tokens(_key(old)), _tokens(_key(new)), autojunk=False).ratio() >= SIMILAR


def _pairs(old_keys: list[str], new_keys: list[str]):
    """(old index | None, new index | None) in reading order: equal keys paired, a replaced block paired
    row by row while the rows are similar, the rest removed or added."""
    matcher = SequenceMatcher(None, [_key(k) for k in old_keys], [_key(k) for k in new_keys], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        while olds and news and _similar(old_keys[olds[0]], new_keys[news[0]]):
            yield olds.pop(0), news.pop(0)
        for i in olds:
            yield i, None
        for j in news:
            yield None, j


def _change(old, new) -> str:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "unchanged" if old == new else "changed"


def _ops_of(old: str | None, new: str | None) -> list[dict]:
    if old is None:
        return [{"op": "insert", "text": new}] if new else []
    if new is None:
        return [{"op": "delete", "text": old}] if old else []
    return text_ops(old, new)


def _proof_points(old: list[str], new: list[str]) -> list[dict]:
    rows = []
    for i, j in _pairs(old, new):
        before, after = (old[i] if i is not None else None), (new[j] if j is not None else None)
        rows.append({"change": _change(before, after), "old": before, "new": after, "ops": _ops_of(before, after)})
    return rows


def key_messages_diff(old: list[dict], new: list[dict]) -> dict:
    rows = []
    for i, j in _pairs([r["message"] for r in old], [r["message"] for r in new]):
        before, after = (old[i] if i is not None else None), (new[j] if j is not None else None)
        points = _proof_points(
            before["proof_points"] if before else [],
            after["proof_points"] if after else [],
        )
        rows.append(
            {
                "change": _change(before, after),
                "old": before,
                "new": after,
                "message": _ops_of(before and before["message"], after and after["message"]),
                "proof_points": points,
            }
        )
    return _rows_summary(rows)


def objections_diff(old: list[dict], new: list[dict]) -> dict:
    rows = []
    for i, j in _pairs([r["objection"] for r in old], [r["objection"] for r in new]):
        before, after = (old[i] if i is not None else None), (new[j] if j is not None else None)
        rows.append(
            {
                "change": _change(before, after),
                "old": before,
                "new": after,
                "objection": _ops_of(before and before["objection"], after and after["objection"]),
                "response": _ops_of(before and before["response"], after and after["response"]),
            }
        )
    return _rows_summary(rows)


def _rows_summary(rows: list[dict]) -> dict:
    counts = {
        "added": sum(1 for row in rows if row["change"] == "added"),
        "removed": sum(1 for row in rows if row["change"] == "removed"),
        "modified": sum(1 for row in rows if row["change"] == "changed"),
    }
    return {"changed": any(counts.values()), **counts, "rows": rows}


def text_diff(old: str, new: str) -> dict:
    return {"changed": old != new, "old": old, "new": new, "ops": text_ops(old, new)}


def links_diff(old: list, new: list) -> dict:
    """Segments or personas (objects with `id` and `name`): added, removed, kept, each by name."""
    old_ids, new_ids = {row.pk for row in old}, {row.pk for row in new}

    def brief(rows):
        return [{"id": row.pk, "name": row.name} for row in sorted(rows, key=lambda r: (r.name, r.pk))]

    added = brief(r for r in new if r.pk not in old_ids)
    removed = brief(r for r in old if r.pk not in new_ids)
    return {
        "changed": bool(added or removed),
        "added": added,
        "removed": removed,
        "unchanged": brief(r for r in new if r.pk in old_ids),
    }


def _plan(messaging):
    plan = messaging.launch_plan
    return {"id": plan.pk, "name": plan.name} if plan is not None else None


def _version(messaging) -> dict:
    return {"id": messaging.pk, "version": messaging.version, "status": messaging.status}


def messaging_diff(old, new) -> dict:
    """What changed from version `old` to version `new` (two versions of one line), per field."""
    plan_old, plan_new = _plan(old), _plan(new)
    fields = {
        "launch_plan": {"changed": plan_old != plan_new, "old": plan_old, "new": plan_new},
        "positioning": text_diff(old.positioning, new.positioning),
        "value_proposition": text_diff(old.value_proposition, new.value_proposition),
        "target_segments": links_diff(list(old.target_segments.all()), list(new.target_segments.all())),
        "target_personas": links_diff(list(old.target_personas.all()), list(new.target_personas.all())),
        "key_messages": key_messages_diff(old.key_messages, new.key_messages),
        "objections": objections_diff(old.objections, new.objections),
    }
    return {
        "from": _version(old),
        "to": _version(new),
        "changed": any(field["changed"] for field in fields.values()),
        "fields": fields,
    }


def with_html(result: dict) -> dict:
    """`messaging_diff`'s result with the HTML of every list of operations beside it (`html`,
    `message_html`, `objection_html`, `response_html`), for the diff page."""
    fields = result["fields"]
    for name in ("positioning", "value_proposition"):
        fields[name]["html"] = ops_html(fields[name]["ops"])
    for row in fields["key_messages"]["rows"]:
        row["message_html"] = ops_html(row["message"])
        for point in row["proof_points"]:
            point["html"] = ops_html(point["ops"])
    for row in fields["objections"]["rows"]:
        row["objection_html"] = ops_html(row["objection"])
        row["response_html"] = ops_html(row["response"])
    return result
