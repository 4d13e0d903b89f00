"""English: day before month with the month in letters, so no reader mistakes 03/04 for 4 March or 3 April,
and the 24-hour clock the other languages use ("29 Nov 2026, 18:50"; Django's are "11/29/2026 6:50 p.m.")."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
