"""Routes Pixora's models to the read-only `pixora` database and keeps every write and migration away."""

from __future__ import annotations

from typing import Any

from django.db import models

from sessions_app.models import PIXORA_DATABASE, PixoraModel, PixoraReadOnlyError


def _is_pixora_model(model: type[models.Model] | None) -> bool:
    return model is not None and issubclass(model, PixoraModel)


class PixoraRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return PIXORA_DATABASE if _is_pixora_model(model) else None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        if _is_pixora_model(model):
            raise PixoraReadOnlyError(
                f"Refused to write {model.__name__}: Pixora's database is read-only for FacePass."
            )
        return None

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        if _is_pixora_model(type(obj1)) or _is_pixora_model(type(obj2)):
            return _is_pixora_model(type(obj1)) and _is_pixora_model(type(obj2))
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if db == PIXORA_DATABASE:
            return False
        return None
