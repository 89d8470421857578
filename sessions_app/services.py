"""Writes FacePass makes in its own database (never Pixora's)."""

from __future__ import annotations

import logging
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from sessions_app.errors import FacePassNotEnabled, ImageEmpty, ImageTooLarge, ImageUnsupported, SessionNotFound
from sessions_app.images import image_content_type
from sessions_app.models import FaceSearchRequest
from sessions_app.selectors import session_validate

logger = logging.getLogger(__name__)


def session_require_facepass(*, session_id: UUID) -> None:
    """Raise unless FacePass may serve this session (404 unknown, 403 disabled; 503 from the database)."""
    validation = session_validate(session_id=session_id)
    if validation["session"] is None:
        raise SessionNotFound()
    if not validation["valid"]:
        raise FacePassNotEnabled()


def face_search_request_create(*, session_id: UUID, image: UploadedFile) -> FaceSearchRequest:
    """Store a selfie for a later face search; the row and the file are committed when this returns."""
    session_require_facepass(session_id=session_id)
    limit = settings.FACE_SEARCH_MAX_IMAGE_BYTES
    if image.size is not None and image.size > limit:
        raise ImageTooLarge(limit)
    # Read at most one byte past the limit, whatever the declared size says.
    data = image.read(limit + 1)
    if not data:
        raise ImageEmpty()
    if len(data) > limit:
        raise ImageTooLarge(limit)
    content_type = image_content_type(data)
    if content_type is None:
        raise ImageUnsupported()

    request = FaceSearchRequest(session_id=session_id, content_type=content_type, size=len(data))
    try:
        with transaction.atomic():
            # The file name is replaced by face_search_image_path; the client's name is not used.
            request.image.save("upload", ContentFile(data), save=False)
            request.save(force_insert=True)
    except BaseException:
        # The row was not committed: remove the file so nothing is left behind.
        if request.image.name:
            request.image.storage.delete(request.image.name)
        raise
    logger.info(
        "face_search_request_created id=%s session_id=%s size=%s content_type=%s",
        request.id,
        session_id,
        request.size,
        content_type,
    )
    return request
