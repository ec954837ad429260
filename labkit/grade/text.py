"""A sentence kept as its English template and its fields, rendered where it is shown.

Reasons and notes are stored this way in the gradebook, so the same record reads in
English in ``gradebook.csv`` (for the instructor) and in the student's language in the
feedback. Fields are plain values (student text among them: escape where you show it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from labkit.i18n import _, tidy


@dataclass(frozen=True)
class Text:
    template: str  # English, marked with N_ where it is written
    fields: dict = field(default_factory=dict)

    def render(self) -> str:
        """In the current language (``labkit.i18n.language``); a field that is itself a
        ``Text`` is rendered too."""
        fields = {k: v.render() if isinstance(v, Text) else v for k, v in self.fields.items()}
        try:
            return tidy(_(self.template).format(**fields))
        except (KeyError, IndexError, ValueError):  # a broken translation: the English
            return self.template.format(**fields)

    def english(self) -> str:
        return self.template.format(**{k: v.english() if isinstance(v, Text) else v
                                       for k, v in self.fields.items()})

    def to_json(self) -> dict:
        return {"t": self.template, "f": {k: v.to_json() if isinstance(v, Text) else v
                                          for k, v in self.fields.items()}}

    @classmethod
    def from_json(cls, value) -> Text:
        """From the gradebook; a plain string (an older gradebook) is kept as it is."""
        if isinstance(value, dict) and isinstance(value.get("t"), str):
            fields = {k: cls.from_json(v) if isinstance(v, dict) and "t" in v else v
                      for k, v in dict(value.get("f") or {}).items()}
            return cls(value["t"], fields)
        return cls("{text}", {"text": str(value or "")})


def dump(texts) -> str:
    return json.dumps([t.to_json() for t in texts], ensure_ascii=False)


def load(data: str | None) -> list[Text]:
    try:
        values = json.loads(data or "[]")
    except ValueError:
        return [Text.from_json(data)]
    values = values if isinstance(values, list) else [values]
    return [Text.from_json(v) for v in values]
