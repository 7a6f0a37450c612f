# Dates one way in Russian: "1 дек. 2026, 14:24" (the month abbreviations, with their
# dots, are in our catalogue: core/month_names.py).
DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "j b Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j E"
YEAR_MONTH_FORMAT = "f Y"
FIRST_DAY_OF_WEEK = 1
