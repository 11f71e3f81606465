// SQLite 3 from the system (libsqlite3-dev).
#include <sqlite3.h>
