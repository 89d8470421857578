from django.core.files.storage import default_storage
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def selfie_files_delete(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Selfies stored before consent was asked are biometric data kept without consent: their files go too."""
    FaceSearchRequest = apps.get_model("sessions_app", "FaceSearchRequest")
    for name in FaceSearchRequest.objects.using(schema_editor.connection.alias).values_list("image", flat=True):
        if name and default_storage.exists(name):
            default_storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0002_facesearchrequest"),
    ]

    operations = [
        migrations.RunPython(selfie_files_delete, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="FaceSearchRequest",
        ),
    ]
