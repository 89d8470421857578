-- Demo rows for the local PostgreSQL standing for Pixora (docker-compose); the same sessions as
-- sessions_app/demo.py gives the demo SQLite file.
INSERT INTO photo_sessions (id, name, description, photographer_id, studio_id, status, scheduled_at, completed_at,
                            settings, created_at, updated_at, service_package_id, facepass_enabled) VALUES
('11111111-1111-4111-8111-111111111111', 'Spring wedding: Anna & Mark', 'Outdoor ceremony and reception.',
 '5eed0000-0000-4000-8000-000000000002', '5eed0000-0000-4000-8000-000000000001', 'completed',
 '2026-05-11 09:30+00', '2026-05-11 15:30+00', '{"watermark": true, "max_photos": 500}',
 '2026-05-01 09:30+00', '2026-05-01 09:30+00', '5eed0000-0000-4000-8000-000000000003', true),
('22222222-2222-4222-8222-222222222222', 'Corporate headshots', NULL,
 '5eed0000-0000-4000-8000-000000000002', '5eed0000-0000-4000-8000-000000000001', 'scheduled',
 '2026-05-31 09:30+00', NULL, '{"watermark": false}', '2026-05-01 09:30+00', '2026-05-01 09:30+00', NULL, false),
('33333333-3333-4333-8333-333333333333', 'Свадьба Ивановых 💍 — 結婚式', 'Имена и описания хранятся как есть.',
 '5eed0000-0000-4000-8000-000000000002', '5eed0000-0000-4000-8000-000000000001', 'scheduled',
 '2026-06-15 09:30+00', NULL, '["portraits", "group"]', '2026-05-01 09:30+00', '2026-05-01 09:30+00', NULL, true),
('44444444-4444-4444-8444-444444444444', 'Graduation 2026 <b>class</b>', NULL,
 '5eed0000-0000-4000-8000-000000000002', '5eed0000-0000-4000-8000-000000000001', 'created',
 NULL, NULL, NULL, '2026-05-01 09:30+00', '2026-05-01 09:30+00', NULL, true);

-- FacePass reads with a role that can only SELECT, as production should (local trust auth: no password).
CREATE ROLE facepass_reader LOGIN;
GRANT SELECT ON photo_sessions TO facepass_reader;
