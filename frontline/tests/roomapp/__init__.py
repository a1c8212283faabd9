"""A small app that exists to prove a new app needs no edits of the others (tests/test_rooms.py).

It contributes, from its own files only: an event kind and its typed function, a to-do kind, a mail
interpreter, a case-page panel and a timeline partial. No migration: it adds no table.
"""
