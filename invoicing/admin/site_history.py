"""Wagtail's site history (Reports → Site history) with a third log model, on Django 6.1.

Wagtail 8.0 joins the log models with one ``union()`` after another: ``a.union(b).union(c)``. With
two models that is one compound statement; with ``BillingLogEntry`` as the third, Django 6.1 nests
the first union inside the second and compiles it with its model's ordering, which SQLite refuses
("ORDER BY not allowed in subqueries of compound statements"): the report answers 500. The same
rows come from one flat ``UNION ALL`` of the three, on every Django and database. Remove this
module once Wagtail builds the union flat itself.
"""

from functools import wraps

from wagtail.admin.views.reports.audit_logging import LogEntriesView


def flatten_union(queryset):
    """``a.union(b).union(c)`` as ``a.union(b, c)``: the same rows in one compound statement."""
    query = queryset.query

    def parts(combined):
        for part in combined.combined_queries:
            if (part.combinator, part.combinator_all) == (combined.combinator, combined.combinator_all):
                yield from parts(part)
            else:
                yield part

    if query.combinator:
        query.combined_queries = tuple(parts(query))
    return queryset


def install():
    """Flatten the site history's union (idempotent)."""
    get_filtered_queryset = LogEntriesView.get_filtered_queryset
    if getattr(get_filtered_queryset, "flattens_union", False):
        return

    @wraps(get_filtered_queryset)
    def flat(view):
        return flatten_union(get_filtered_queryset(view))

    flat.flattens_union = True
    LogEntriesView.get_filtered_queryset = flat
