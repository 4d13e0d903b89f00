"""Greek: the 24-hour clock ("29/11/2026 18:50"; Django's is "29/11/2026 6:50 μ.μ.")."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
