"""Staff look at searches and session indexes here; the only action is to index a session again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin
from face_search_app.models import FaceSearchRequest, IndexedPhoto, SessionIndex
from face_search_app.services import session_index_request

FACE_SEARCH_REQUEST_FIELDS = (
    "id",
    "session_id",
    "status",
    "content_type",
    "size",
    "consent_at",
    "selfie_kept",
    "selfie_deleted_at",
    "error",
    "matched_photos",
    "created_at",
    "finished_at",
)


@admin.register(FaceSearchRequest)
class FaceSearchRequestAdmin(ReadOnlyAdmin[FaceSearchRequest]):
    """Searches with their state and result; the selfie itself is never shown, and is gone once used."""

    list_display = ["id", "session_id", "status", "selfie_kept", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["=id", "=session_id"]
    fields = FACE_SEARCH_REQUEST_FIELDS
    readonly_fields = FACE_SEARCH_REQUEST_FIELDS
    date_hierarchy = "created_at"
    actions = None

    @admin.display(description="matched photos")
    def matched_photos(self, obj: FaceSearchRequest) -> str:
        """Each photo found with its distance, closest first: what the customer was shown, readable at a glance."""
        if not obj.matches:
            return "—"
        found = ", ".join(f"{match['photo_id']} ({match['distance']:.2f})" for match in obj.matches)
        return f"{len(obj.matches)}: {found}"

    @admin.display(boolean=True, description="selfie kept")
    def selfie_kept(self, obj: FaceSearchRequest) -> bool:
        return obj.selfie_deleted_at is None

    def get_queryset(self, request: HttpRequest) -> QuerySet[FaceSearchRequest]:
        return super().get_queryset(request).defer("embedding")


@admin.register(SessionIndex)
class SessionIndexAdmin(ReadOnlyAdmin[SessionIndex]):
    list_display = ["session_id", "status", "photos_total", "generation", "indexed_at", "disabled_at"]
    list_filter = ["status"]
    search_fields = ["=session_id"]
    readonly_fields = [field.name for field in SessionIndex._meta.fields]
    actions = ["index_again"]

    @admin.action(description="Index the selected sessions again")
    def index_again(self, request: HttpRequest, queryset: QuerySet[SessionIndex]) -> None:
        session_ids = list(queryset.values_list("session_id", flat=True))
        for session_id in session_ids:
            session_index_request(session_id=session_id)
        self.message_user(request, f"Indexing queued for {len(session_ids)} session(s).", messages.SUCCESS)


@admin.register(IndexedPhoto)
class IndexedPhotoAdmin(ReadOnlyAdmin[IndexedPhoto]):
    list_display = ["photo_id", "session_id", "status", "attempts", "error", "indexed_at"]
    list_filter = ["status"]
    search_fields = ["=session_id", "=photo_id"]
    readonly_fields = [field.name for field in IndexedPhoto._meta.fields]
    actions = None
