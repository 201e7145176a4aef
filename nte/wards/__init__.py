"""Wards: the foundation every located domain builds on.

Ward boundaries come in vintages (London redrew its wards in 2014 and 2022). Every vintage is
kept; which one is *current* is chosen per borough. Each located record (report, venue, safe
space) is assigned to a ward in every vintage, so a figure can be given in any of them and a
boundary change loses nothing. This package imports nothing from the domains above it."""
