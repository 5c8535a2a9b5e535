"""Model versions, the retrain lock and corrections.

Submission.model_version turns from a string into a foreign key in three steps: the
string column is renamed aside and a nullable key added here, 0003 fills the key, and
0004 drops the string and makes the key required. Separate migrations, because
PostgreSQL refuses to alter a table in the same transaction as pending row updates.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recognizer", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ModelVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("version", models.CharField(max_length=100, unique=True)),
                ("arch", models.CharField(max_length=20)),
                ("artifact_path", models.CharField(blank=True, max_length=500)),
                ("metrics", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("notes", models.TextField(blank=True)),
                ("is_active", models.BooleanField(default=False)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_active", True)),
                        fields=("is_active",),
                        name="one_active_model_version",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RetrainLock",
            fields=[
                ("name", models.CharField(max_length=50, primary_key=True, serialize=False)),
                ("holder", models.CharField(max_length=200)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("heartbeat_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="submission",
            name="true_digit",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(9),
                ],
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="corrected_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("true_digit__isnull", True),
                    models.Q(("true_digit__gte", 0), ("true_digit__lte", 9)),
                    _connector="OR",
                ),
                name="submission_true_digit_0_9",
            ),
        ),
        migrations.RenameField(
            model_name="submission", old_name="model_version", new_name="model_version_name"
        ),
        # A default so that 0004, which drops this column, can be reversed.
        migrations.AlterField(
            model_name="submission",
            name="model_version_name",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="submission",
            name="model_version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="submissions",
                to="recognizer.modelversion",
            ),
        ),
    ]
