"""Reading Pixora sessions and deciding whether FacePass may serve them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypedDict, TypeVar
from uuid import UUID

from django.conf import settings
from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import MAX_GET_RESULTS

from common.cache import cache_get, cache_get_many, cache_set, cache_set_many, local_get, local_set
from common.db import read_retrying_once
from sessions_app.models import PhotoSession
from sessions_app.serializers import PhotoSessionSerializer

SESSION_NOT_FOUND = "Session not found"
FACEPASS_NOT_ENABLED = "FacePass is not enabled"

T = TypeVar("T")


class Validation(TypedDict):
    valid: bool
    session: dict[str, Any] | None
    error: str | None


def validation_cache_key(session_id: UUID) -> str:
    return f"session-validation:v1:{session_id}"


@dataclass(frozen=True)
class SessionQuery:
    """PhotoSession.objects.get(id=...) on one database, compiled once: its SQL, columns and converters."""

    sql: str
    attnames: tuple[str, ...]
    # By column position: the functions the ORM passes that column's value through (value, expression, connection).
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


@cache
def _session_by_id_query(alias: str, vendor: str) -> SessionQuery:
    """The query PhotoSession.objects.get(id=...) runs on this database, compiled by the ORM once, not per call."""
    queryset = PhotoSession.objects.using(alias).filter(id=UUID(int=0)).order_by()[:MAX_GET_RESULTS]
    compiler = queryset.query.get_compiler(using=alias)
    sql: str
    sql, params = compiler.as_sql()
    if len(params) != 1:
        raise AssertionError(f"expected one parameter, the id, in {sql}")
    columns = [column for column, _, _ in compiler.select]
    converters = compiler.get_converters(columns)
    return SessionQuery(
        sql=sql,
        attnames=tuple(column.target.attname for column in columns),
        converters=tuple((position, tuple(funcs), column) for position, (funcs, column) in converters.items()),
    )


def pixora_read(read: Callable[[BaseDatabaseWrapper], T]) -> T:
    """Run a read on Pixora's database, once more on a new connection if the one held died (no health checks)."""
    return read_retrying_once(router.db_for_read(PhotoSession), read)


def session_row(*, session_id: UUID) -> dict[str, Any] | None:
    """The Pixora session with this id as {attname: value}, the values the model would hold, or None.

    The same query and conversions as PhotoSession.objects.get(id=...), without building a model: validation only
    reads the values.
    """
    return pixora_read(lambda connection: _session_row_on(connection, session_id))


def _session_row_on(connection: BaseDatabaseWrapper, session_id: UUID) -> dict[str, Any] | None:
    query = _session_by_id_query(connection.alias, connection.vendor)
    session_id_value = PhotoSession._meta.pk.get_db_prep_value(session_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [session_id_value])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, funcs, column in query.converters:
        for convert in funcs:
            values[position] = convert(values[position], column, connection)
    return dict(zip(query.attnames, values, strict=True))


@cache
def _session_fields() -> tuple[Any, ...]:
    """PhotoSessionSerializer's fields, built once: a ModelSerializer rebuilds them for every instance."""
    return tuple(PhotoSessionSerializer().fields.values())


def session_data(session: PhotoSession | Mapping[str, Any]) -> dict[str, Any]:
    """The session (a model or session_row()'s values) as PhotoSessionSerializer(session).data shows it."""
    data = {}
    for field in _session_fields():
        value = field.get_attribute(session)
        data[field.field_name] = None if value is None else field.to_representation(value)
    return data


def validation_of(session: PhotoSession | Mapping[str, Any] | None) -> Validation:
    """Whether FacePass may serve this session (a model or session_row()'s values), with its data when it exists."""
    if session is None:
        return {"valid": False, "session": None, "error": SESSION_NOT_FOUND}
    data = session_data(session)
    enabled = session["facepass_enabled"] if isinstance(session, Mapping) else session.facepass_enabled
    if not enabled:
        return {"valid": False, "session": data, "error": FACEPASS_NOT_ENABLED}
    return {"valid": True, "session": data, "error": None}


def session_validate(*, session_id: UUID) -> Validation:
    """Whether FacePass may serve this Pixora session; cached for SESSION_CACHE_TTL seconds.

    A few seconds of it (SESSION_LOCAL_CACHE_TTL) are also kept in the process, in front of Redis: the hot path of
    every page view then costs no round trip. A change in Pixora shows within the sum of the two.
    """
    ttl = settings.SESSION_CACHE_TTL
    local_ttl = min(ttl, settings.SESSION_LOCAL_CACHE_TTL)
    key = validation_cache_key(session_id)
    if ttl > 0:
        local: Validation | None = local_get(key) if local_ttl > 0 else None
        if local is not None:
            return local
        shared: Validation | None = cache_get(key)
        if shared is not None:
            local_set(key, shared, local_ttl)
            return shared
    validation = validation_of(session_row(session_id=session_id))
    cache_set(key, validation, ttl)
    local_set(key, validation, local_ttl)
    return validation


def sessions_validate_many(*, session_ids: list[UUID]) -> dict[str, dict[str, Any]]:
    """Validation of each id, in the order given, with at most one database query."""
    ttl = settings.SESSION_CACHE_TTL
    unique_ids = list(dict.fromkeys(session_ids))
    keys = {validation_cache_key(session_id): session_id for session_id in unique_ids}
    validations: dict[UUID, Validation] = {}
    if ttl > 0:
        validations = {keys[key]: value for key, value in cache_get_many(list(keys)).items()}
    missing = [session_id for session_id in unique_ids if session_id not in validations]
    if missing:
        found = pixora_read(
            lambda connection: {
                session.id: session for session in PhotoSession.objects.using(connection.alias).filter(id__in=missing)
            }
        )
        fresh = {session_id: validation_of(found.get(session_id)) for session_id in missing}
        cache_set_many({validation_cache_key(session_id): value for session_id, value in fresh.items()}, ttl)
        validations.update(fresh)
    return {
        str(session_id): {"valid": validations[session_id]["valid"], "error": validations[session_id]["error"]}
        for session_id in unique_ids
    }
