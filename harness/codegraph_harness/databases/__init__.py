"""Graph databases for tests and benchmarks: which server, how it starts and stops, and a fresh
empty database for each test or run (`providers`); one server shared by the pytest-xdist
workers of a session (`shared`); a watchdog that stops a server whose owner died (`watchdog`)."""
