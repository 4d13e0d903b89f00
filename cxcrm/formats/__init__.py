"""Date and time formats that replace some of Django's for our languages (settings.FORMAT_MODULE_PATH).

Pages write dates and times through the locale's named formats only (`|date:"SHORT_DATETIME_FORMAT"`,
`date_format(value, "SHORT_DATE_FORMAT")`), never a fixed pattern; docs/i18n.md ("Dates, times and numbers")
lists what each language reads. A name a module here leaves out keeps Django's value for that language
(Brazilian Portuguese and Spanish keep all of Django's: "29/11/2026 18:50").
"""
