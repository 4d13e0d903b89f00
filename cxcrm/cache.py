"""The embedded install's cache: Django's database cache with an atomic increment.

The public pages' rate limits (django-ratelimit) count requests in Django's cache, which must be
shared by every process and increment atomically. Production uses Redis (CACHE_URL); the embedded
install (no CACHE_URL) keeps its counters in a table of its own database, created after every
`migrate` (cxcrm.apps). Django's DatabaseCache increments by reading and writing the value, so two
requests at once could both count as one; this one reads the row under a lock in one transaction
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the settings' IMMEDIATE transactions take the write
lock at BEGIN), so every request counts.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class AtomicDatabaseCache(DatabaseCache):
    """DatabaseCache whose incr() is one locked read-modify-write that keeps the key's expiry."""

    def incr(self, key, delta=1, version=None):
        """Add `delta` to the integer stored under `key`; its new value.

        Raises ValueError when the key is missing or expired (as every Django cache does).
        """
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",
                [key],
            )
            row = cursor.fetchone()
            if row is None or self._expires(row[1], connection) < tz_now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s", [encoded, key])
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version=version)

    @staticmethod
    def _expires(value, connection):
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
            value = converter(value, expression, connection)
        return value
