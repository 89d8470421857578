# The request log is request_log_app's now (its table goes with it). The read_logs permission stays
# "sso_app.read_logs", the name tokens carry and gateways check, by moving to SSOToken's content type; whoever
# held it keeps it.

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def read_logs_permission_to_tokens(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    database = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(database)
    permissions = apps.get_model("auth", "Permission").objects.using(database)
    log_type = content_types.filter(app_label="sso_app", model="requestlogentry").first()
    if log_type is None:
        return  # a new database: post_migrate creates the content types and permissions as the models say
    token_type, _ = content_types.get_or_create(app_label="sso_app", model="ssotoken")
    permissions.filter(content_type=log_type, codename="read_logs").update(content_type=token_type)
    if not content_types.filter(app_label="request_log_app", model="requestlogentry").exists():
        log_type.app_label = "request_log_app"
        log_type.save(update_fields=["app_label"])


def read_logs_permission_back(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    database = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(database)
    permissions = apps.get_model("auth", "Permission").objects.using(database)
    log_type = content_types.filter(app_label="request_log_app", model="requestlogentry").first()
    if log_type is None:
        return
    log_type.app_label = "sso_app"
    log_type.save(update_fields=["app_label"])
    permissions.filter(content_type__app_label="sso_app", content_type__model="ssotoken", codename="read_logs").update(
        content_type=log_type
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sso_app", "0002_service_clients_audit"),
        ("request_log_app", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RequestLogEntry")],
            database_operations=[],
        ),
        migrations.AlterModelOptions(
            name="ssotoken",
            options={
                "permissions": [("read_logs", "Can read the per-pod request log")],
                "verbose_name": "SSO token",
            },
        ),
        migrations.RunPython(read_logs_permission_to_tokens, read_logs_permission_back),
    ]
