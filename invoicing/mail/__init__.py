"""Invoice emails as content: kinds, placeholders, sanitising and composing. Nothing here sends
or writes; ``services/outbox.py`` does, and the template page's preview uses the same code."""
