"""Authorization: who may do what, and which documents a caller may see.

``groups`` holds the group configuration and matching rules, ``datasets`` the
decisions for datasets and their file lists and attachments, ``gates`` the
401/403 edge of route gates.
"""
