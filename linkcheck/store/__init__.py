"""The only code that speaks SQL: the run's work store, the report's rows and the history.

The rest of linkcheck calls these modules' typed methods and never sees a statement; what a
store can fail with is named here, so a caller can turn it into one line without knowing
the backend.
"""

import sqlite3

# Any failure of a store; ``StoreDamage`` when the file itself is not a usable database.
StoreError = sqlite3.Error
StoreDamage = sqlite3.DatabaseError
