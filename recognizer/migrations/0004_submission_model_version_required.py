import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("recognizer", "0003_register_model_versions")]

    operations = [
        migrations.RemoveField(model_name="submission", name="model_version_name"),
        migrations.AlterField(
            model_name="submission",
            name="model_version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="submissions",
                to="recognizer.modelversion",
            ),
        ),
    ]
