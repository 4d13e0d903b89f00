"""An email backend for the fault tests: each message sent is a row in the table `fault_sent_email`, written
on the sender's database connection (so it commits or rolls back with the send's transaction, like a
database mail queue). The test creates and drops the table."""

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

TABLE = "fault_sent_email"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, message_id text, recipient text, subject text)"


class RecordingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        with connection.cursor() as cursor:
            for message in email_messages:
                cursor.execute(
                    f"INSERT INTO {TABLE} (message_id, recipient, subject) VALUES (%s, %s, %s)",
                    [message.extra_headers.get("Message-ID", ""), ",".join(message.to), message.subject],
                )
        return len(email_messages)
