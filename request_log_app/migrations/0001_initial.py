# The request log moved here from sso_app: its table is taken over as it is (renamed in 0002), with its rows.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("sso_app", "0002_service_clients_audit"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RequestLogEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("pod", models.CharField(max_length=63)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("method", models.CharField(max_length=16)),
                        ("path", models.CharField(max_length=2048)),
                        ("url_name", models.CharField(max_length=64)),
                        ("status", models.PositiveSmallIntegerField()),
                        ("duration_ms", models.FloatField()),
                        ("request_id", models.CharField(max_length=128)),
                    ],
                    options={
                        "verbose_name": "request log entry",
                        "verbose_name_plural": "request log",
                        "db_table": "sso_app_requestlogentry",
                        "indexes": [models.Index(fields=["pod", "-created_at"], name="sso_reqlog_pod_created")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
