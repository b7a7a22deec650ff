"""Audit and compliance (DOMAIN.md C1-C4): time travel, explain access, verifiable exports,
store checkpoints and erasure by key destruction.

Everything here reads the event store itself (the application's recorder and repository),
never another read model, so its answers do not depend on how far projections have got.
"""
