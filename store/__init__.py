"""Everything that keeps bytes: the adapters between the service and its database.

The event recorders and their transcoder, the one `Database` of the read models, the
schema version, the key files and the secret box, the document store, the idempotency
keys, the outbox's delivery table, the audit side tables, and the advisory lock ids.
`BILLING_DATABASE_URL` is parsed in `store.url` only. This is the only package that
imports `psycopg` or `sqlite3`; it imports nothing of `api` or `projections`.
"""
