"""Signed webhooks (issue 22): the sender that posts the webhooks projection's messages."""
