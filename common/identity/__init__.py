"""Who is calling: accounts, tokens, groups."""
