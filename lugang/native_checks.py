"""The contract's checks against a reference, run by pydantic-core itself.

The contract checks events against the reference the worker runs with (a corridor, place or
commodity it knows, a value within a plausible range, a time with a UTC offset) in Python
functions that pydantic-core calls for each such field of each event, with the reference
from the validation context: for a reefer reading, 3.5 µs of its 5.5 µs of validation
(micro-benchmark, this machine kind). For one given reference those checks are constraints
pydantic-core has of its own (a literal of the known keys, a float's bounds, an aware
datetime): :func:`validator_for` builds a model's validator with them in place of the
functions (a reading: 1.8 µs).

It is a shortcut, never the judge: what it accepts, the contract's own validator accepts
with the same values, and an event it refuses goes through the contract's own validator,
whose errors say what is wrong in the contract's words (``lugang.contract.parse_event``);
the tests compare both on valid and broken events. A check not registered here (a
function the module does not know, or a schema it does not expect) stays a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import SchemaValidator

from lugang.reference import NumericRange, Reference

Schema = dict[str, Any]
NativeCheck = Callable[[Reference, Schema], Schema | None]
"""The core schema doing what a check does after ``schema`` for a reference (None: none)."""

_NATIVE: dict[Callable[..., Any], NativeCheck] = {}

CACHED_REFERENCES: Final = 4
"""References whose validators are kept (a worker has one; tests make many)."""

_compiled: dict[int, tuple[Reference, dict[type[BaseModel], SchemaValidator]]] = {}


def register(check: Callable[..., Any], native: NativeCheck) -> None:
    """Say how pydantic-core does what ``check`` (an after validator) does."""
    _NATIVE[check] = native


def within(schema: Schema, allowed: NumericRange) -> Schema | None:
    """A float inside ``allowed`` (its bounds included), for a plain float schema."""
    if schema != {"type": "float"}:
        return None
    return {"type": "float", "ge": allowed.min, "le": allowed.max}


def one_of(schema: Schema, known: Iterable[str]) -> Schema | None:
    """One of the ``known`` strings, for a plain string schema (and some known)."""
    expected = list(known)
    if schema != {"type": "str"} or not expected:
        return None
    return {"type": "literal", "expected": expected}


def aware(schema: Schema) -> Schema | None:
    """A datetime with a UTC offset, for a datetime schema."""
    if schema.get("type") != "datetime":
        return None
    return {**schema, "tz_constraint": "aware"}


def with_native_checks(schema: Any, reference: Reference) -> Any:
    """``schema`` with each registered after-validator replaced by its native check."""
    if isinstance(schema, list):
        return [with_native_checks(item, reference) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "function-after":
        native = _NATIVE.get(schema["function"]["function"])
        if native is not None:
            replaced = native(reference, with_native_checks(schema["schema"], reference))
            if replaced is not None:
                return replaced
    return {key: with_native_checks(value, reference) for key, value in schema.items()}


def compile_validator(model: type[BaseModel], reference: Reference) -> SchemaValidator:
    """``model``'s validator with the native checks for ``reference``."""
    schema = with_native_checks(model.__pydantic_core_schema__, reference)
    # pydantic-core takes a complete model class's own validator (its "prebuilt" one, with
    # the Python checks) for a schema of that class: build as if the class were not.
    model.__pydantic_complete__ = False
    try:
        return SchemaValidator(schema)
    finally:
        model.__pydantic_complete__ = True


def validator_for(model: type[BaseModel], reference: Reference) -> SchemaValidator:
    """:func:`compile_validator`, once per model and reference (kept for the last
    :data:`CACHED_REFERENCES` references, by identity: a reference is not hashable)."""
    kept = _compiled.get(id(reference))
    if kept is None or kept[0] is not reference:
        if len(_compiled) >= CACHED_REFERENCES:
            del _compiled[next(iter(_compiled))]
        kept = _compiled[id(reference)] = (reference, {})
    validators = kept[1]
    validator = validators.get(model)
    if validator is None:
        validator = validators[model] = compile_validator(model, reference)
    return validator
