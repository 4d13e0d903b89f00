"""Foreign keys whose own index another index already serves: it starts with the same column (a composite
index or a unique constraint), so the index on the key alone only cost each write. The key stays as it is
(re-adding it would check every row); only its index goes. customers_identity and customers_interaction lost
theirs in customers 0017; cxcrm/tests/test_indexes.py keeps every table so."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0020_foreign_key_indexes_served_by_others'),
        ('feedback', '0021_translated_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_attentionaction_customer_id_483a9822',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_attentionaction_customer_id_483a9822 ON feedback_attentionaction (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='attentionaction',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_healthscorechange_customer_id_461f77a4',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_healthscorechange_customer_id_461f77a4 ON feedback_healthscorechange (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='healthscorechange',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_invitation_customer_id_a0dead80',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_invitation_customer_id_a0dead80 ON feedback_invitation (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='invitation',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_invitations', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_invitation_survey_id_399ba60b',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_invitation_survey_id_399ba60b ON feedback_invitation (survey_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='invitation',
                    name='survey',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='invitations', to='feedback.survey', verbose_name='survey'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_invitationmergemove_merge_id_d6e21f74',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_invitationmergemove_merge_id_d6e21f74 ON feedback_invitationmergemove (merge_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='invitationmergemove',
                    name='merge',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.mergerecord', verbose_name='merge record'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_questionchoice_question_id_fee9af99',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_questionchoice_question_id_fee9af99 ON feedback_questionchoice (question_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='questionchoice',
                    name='question',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='choices', to='feedback.surveyquestion', verbose_name='question'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_response_customer_id_f2c715b7',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_response_customer_id_f2c715b7 ON feedback_response (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='response',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_responses', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_response_survey_id_822a3c11',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_response_survey_id_822a3c11 ON feedback_response (survey_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='response',
                    name='survey',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='feedback.survey', verbose_name='survey'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_responsemergemove_merge_id_c90792ae',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_responsemergemove_merge_id_c90792ae ON feedback_responsemergemove (merge_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='responsemergemove',
                    name='merge',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.mergerecord', verbose_name='merge record'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_surveyquestion_survey_id_989e3c2c',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_surveyquestion_survey_id_989e3c2c ON feedback_surveyquestion (survey_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='surveyquestion',
                    name='survey',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='feedback.survey', verbose_name='survey'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS feedback_surveytext_survey_id_5e577e48',
                    reverse_sql='CREATE INDEX IF NOT EXISTS feedback_surveytext_survey_id_5e577e48 ON feedback_surveytext (survey_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='surveytext',
                    name='survey',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='texts', to='feedback.survey', verbose_name='survey'),
                ),
            ],
        ),
    ]
