"""Billing Center domain: the rules of DOMAIN.md as event-sourced aggregates.

Pure: no I/O, no framework. Everything here can be replayed from events alone.
"""
