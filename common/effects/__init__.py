"""Side effects after a stored write: events, search indexing and mail.

Each effect is an interface with a real and a null (or log) implementation,
chosen by settings in :mod:`common.runtime`. A failing effect never fails the
write that triggered it.
"""
