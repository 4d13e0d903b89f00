"""Polish: the short date with dots, as Polish writes it ("29.11.2026 18:50"; Django's is "29-11-2026  18:50")."""

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
