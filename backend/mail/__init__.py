"""Transactional email: compose, queue, send over SMTP (or capture into the dev mailbox)."""
