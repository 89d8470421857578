"""The design FacePass replaces, small and faithful, for the bench: FastAPI under uvicorn (2 workers).

A synchronous SQLAlchemy session per request reads photo_sessions by id; the services proxy opens a new
httpx.AsyncClient per request with a 30 s timeout. Same routes and JSON shapes as FacePass.
Run: PEER_DATABASE_URL=postgresql+psycopg2://... PEER_MAIN_API_URL=http://... uvicorn bench.peers.app:app --workers 2
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, DateTime, String, Text, create_engine, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DATABASE_URL = os.environ.get("PEER_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MAIN_API_URL = os.environ.get("PEER_MAIN_API_URL", "http://127.0.0.1:8080")

engine = create_engine(DATABASE_URL, pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False)


class Base(DeclarativeBase):
    pass


class PhotoSession(Base):
    __tablename__ = "photo_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    photographer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    studio_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settings: Mapped[Any] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    service_package_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    facepass_enabled: Mapped[bool] = mapped_column(Boolean)


class PhotoSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    status: str
    facepass_enabled: bool
    studio_id: uuid.UUID
    photographer_id: uuid.UUID
    service_package_id: uuid.UUID | None
    scheduled_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    settings: Any


class ValidationOut(BaseModel):
    valid: bool
    session: PhotoSessionOut | None
    error: str | None


class BatchValidateIn(BaseModel):
    session_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class BatchResult(BaseModel):
    valid: bool
    error: str | None


class BatchValidateOut(BaseModel):
    results: dict[str, BatchResult]


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


DB = Annotated[Session, Depends(get_db)]
app = FastAPI(title="Peer (FastAPI) for the FacePass bench")


def validation_of(session: PhotoSession | None) -> ValidationOut:
    if session is None:
        return ValidationOut(valid=False, session=None, error="Session not found")
    out = PhotoSessionOut.model_validate(session)
    if not session.facepass_enabled:
        return ValidationOut(valid=False, session=out, error="FacePass is not enabled")
    return ValidationOut(valid=True, session=out, error=None)


@app.get("/api/v1/sessions/validate/{session_id}", response_model=ValidationOut)
def session_validate(session_id: uuid.UUID, db: DB) -> ValidationOut:
    return validation_of(db.get(PhotoSession, session_id))


@app.get("/api/v1/sessions/{session_id}", response_model=PhotoSessionOut)
def session_detail(session_id: uuid.UUID, db: DB) -> PhotoSession:
    session = db.get(PhotoSession, session_id)
    if session is None:
        raise HTTPException(status_code=404, detail="Session not found")
    return session


@app.post("/api/v1/sessions/validate", response_model=BatchValidateOut)
def sessions_validate_many(body: BatchValidateIn, db: DB) -> BatchValidateOut:
    unique_ids = list(dict.fromkeys(body.session_ids))
    found = {s.id: s for s in db.scalars(select(PhotoSession).where(PhotoSession.id.in_(unique_ids)))}
    results = {}
    for session_id in unique_ids:
        validation = validation_of(found.get(session_id))
        results[str(session_id)] = BatchResult(valid=validation.valid, error=validation.error)
    return BatchValidateOut(results=results)


@app.get("/api/v1/remote-services/{session_id}")
async def remote_services(session_id: uuid.UUID) -> Any:
    async with httpx.AsyncClient(timeout=30.0) as client:
        try:
            response = await client.get(f"{MAIN_API_URL}/api/session/{session_id}/services")
        except httpx.TimeoutException as exc:
            raise HTTPException(status_code=504, detail={"error": "Request timeout"}) from exc
        except httpx.RequestError as exc:
            raise HTTPException(status_code=503, detail={"error": "Network error"}) from exc
    if response.status_code == 404:
        raise HTTPException(status_code=404, detail={"error": "Session not found", "session_id": str(session_id)})
    if response.status_code >= 400:
        raise HTTPException(status_code=502, detail={"error": "Bad gateway"})
    return response.json()
