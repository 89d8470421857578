-- Pixora's photo_sessions table as FacePass reads it (owned by the Pixora team; FacePass never writes it).
-- Used to stand Pixora's database up locally (docker-compose), in the PostgreSQL tests and in the benchmarks.
CREATE TYPE photo_session_status AS ENUM ('created', 'scheduled', 'in_progress', 'completed', 'cancelled');

CREATE TABLE photo_sessions (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text,
    photographer_id uuid NOT NULL,
    studio_id uuid NOT NULL,
    status photo_session_status NOT NULL DEFAULT 'created',
    scheduled_at timestamptz,
    completed_at timestamptz,
    settings jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    service_package_id uuid,
    facepass_enabled boolean NOT NULL DEFAULT false
);
