"""Read-through loaders to PostgreSQL (``--loaders FILE``).

``spec`` parses the TOML file, ``pool`` is the database side (a bounded,
failover-aware asyncpg pool), ``base`` the miss path (single-flight, batches,
negative and stale entries, invalidation), ``listen`` the LISTEN connection,
``commands`` the LOADER command family and ``encode`` turns rows into values.
Modules are imported where needed, so a server without loaders loads none
of asyncpg.
"""
