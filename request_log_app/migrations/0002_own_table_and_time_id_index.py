from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("request_log_app", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="requestlogentry", table=None),
        migrations.RemoveIndex(model_name="requestlogentry", name="sso_reqlog_pod_created"),
        migrations.AddIndex(
            model_name="requestlogentry",
            index=models.Index(fields=["pod", "-created_at", "-id"], name="reqlog_pod_created_id"),
        ),
    ]
