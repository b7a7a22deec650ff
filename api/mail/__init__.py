"""E-mail notifications: the outbox drained into SMTP (or .eml files in development)."""
