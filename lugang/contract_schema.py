"""The event contract as one JSON Schema document, for producers and consumers outside Lugang.

The document (JSON Schema draft 2020-12) keys its ``$defs`` by topic kind: ``trains``,
``containers``, ``reefer`` and ``deadletter`` (plus ``RawBytes``, which the dead letter
uses), so a message of kind K validates against ``{"$ref": "FILE#/$defs/K"}``. A
top-level object keyed by kind would not be a schema itself; this way the file is one
valid schema that every tool can load, and the kind is the only name a producer needs.

It is what pydantic derives from the models of :mod:`lugang.contract`, so it cannot drift
from them. It checks the shape (required and unknown fields, types, enumerations, bounds);
what needs the reference configuration or code is checked by Lugang alone: ISO 6346 check
digits and size-type codes, known corridors, places and commodities, plausible ranges,
the route rule, a UTC offset in every time (``format: date-time``, which most validators
check only when asked), and the train fields a ``LOAD`` or ``DISC`` needs. A message the
schema accepts can still be dead-lettered; the field descriptions say what else is checked.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel

from lugang.contract import EVENT_MODELS, DeadLetter
from lugang.topics import DEAD_LETTER_KIND

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def message_models() -> dict[str, type[BaseModel]]:
    """The model of each topic kind a producer or a consumer meets: inputs and dead letters."""
    return {**EVENT_MODELS, DEAD_LETTER_KIND: DeadLetter}


def contract_json_schema() -> dict[str, Any]:
    """The JSON Schema document of every topic kind (see the module docstring)."""
    definitions: dict[str, Any] = {}
    for kind, model in message_models().items():
        schema = model.model_json_schema()
        for name, shared in schema.pop("$defs", {}).items():
            if definitions.setdefault(name, shared) != shared:
                raise ValueError(f"two contract models define {name} differently")
        definitions[kind] = schema
    return {
        "$schema": DIALECT,
        "title": "Lugang event contract",
        "description": "Messages of Lugang's topics, keyed by topic kind under $defs: validate "
        "a message of kind K against {'$ref': '#/$defs/K'}. Values are UTF-8 JSON; the key of "
        "trains is train_id, of containers and reefer equipment_reference, of deadletter the "
        "key of the message it keeps. Lugang also checks what the descriptions say.",
        "$defs": definitions,
    }
