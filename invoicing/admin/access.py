"""Site scoping for the admin's views and bulk actions.

Wagtail is not multi-tenant: its generic views find objects with ``self.model._default_manager``
(edit, delete, history, usage, copy, revisions), ``get_base_queryset`` (listing, search, filters,
export) or ``self.model_class.objects`` (choosers), and bulk actions with ``get_list_or_404``. So a
site-scoped viewset wraps ``construct_view``: every view it builds, Wagtail's and ours alike, gets
``SiteScopedViewMixin``, which answers 404 before the view runs when the URL names an object of
another website, and narrows every queryset of the model to the user's websites.
"""

from functools import cache

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_list_or_404
from django.utils.functional import cached_property, classproperty
from wagtail.models import Site
from wagtail.permission_policies.sites import SitePermissionPolicy
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models

from ..models.access import billing_sites, may_bill_for, scope_to_user, site_lookup_for
from .forms import SiteScopedFormMixin, scope_field


class SiteScopedViewMixin:
    """Mixed into each view of a site-scoped viewset by ``SiteScopedViewSetMixin.construct_view``."""

    site_lookup = "site"

    @property
    def scoped_model(self):
        # Choosers name their model ``model_class`` (``model`` may be a string there).
        return getattr(self, "model_class", None) or self.model

    def setup(self, request, *args, **kwargs):
        # Checked before the view's own setup, which may already fetch the object unscoped.
        pk = kwargs.get(getattr(self, "pk_url_kwarg", "pk"))
        if pk is not None and not self.is_in_scope(unquote(str(pk)), request.user):
            raise Http404
        super().setup(request, *args, **kwargs)

    def is_in_scope(self, pk, user):
        try:
            return self.scope(self.scoped_model._default_manager.filter(pk=pk), user).exists()
        except (ValueError, ValidationError):  # not even an id ("abc" for a number): no such object
            return False

    def scope(self, queryset, user=None):
        """``queryset`` narrowed to the user's websites when it holds this viewset's model; the
        other querysets of these views (history entries, references) hang off a checked object."""
        if issubclass(queryset.model, self.scoped_model):
            return scope_to_user(queryset, user or self.request.user, self.site_lookup)
        return queryset

    # Listing, search, filters and export.
    def get_base_queryset(self):
        return self.scope(super().get_base_queryset())

    # Edit, delete, history, usage and inspect, through ``BaseObjectMixin``.
    def get_base_object_queryset(self):
        return self.scope(super().get_base_object_queryset())

    # The chooser's listing and search.
    def get_object_list(self):
        return self.scope(super().get_object_list())

    # The chooser's "chosen" step for several objects (ids in the query string).
    def get_objects(self, pks):
        return self.scope(super().get_objects(pks))

    @cached_property
    def filters(self):
        filterset = super().filters
        if filterset is not None:
            for field in filterset.form.fields.values():
                scope_field(field, self.request.user)
        return filterset


@cache
def site_scoped_view_class(view_class, site_lookup):
    return type(f"SiteScoped{view_class.__name__}", (SiteScopedViewMixin, view_class), {"site_lookup": site_lookup})


class SiteScopedViewSetMixin:
    """For a Wagtail ``ViewSet`` (a ``SnippetViewSet`` and its chooser) whose model belongs to a
    website through ``site_lookup``. Put it first among the bases."""

    site_lookup = "site"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chooser_viewset_class = getattr(self, "chooser_viewset_class", None)
        if chooser_viewset_class is not None:
            self.chooser_viewset_class = type(
                f"SiteScoped{chooser_viewset_class.__name__}",
                (SiteScopedViewSetMixin, chooser_viewset_class),
                {"site_lookup": self.site_lookup},
            )

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(site_scoped_view_class(view_class, self.site_lookup), **kwargs)

    def get_form_class(self, for_update=False):
        form_class = super().get_form_class(for_update)
        if issubclass(form_class, SiteScopedFormMixin):
            return form_class
        # The form's own metaclass builds the subclass, so its fields and formsets stay intact.
        return type(form_class)(form_class.__name__, (SiteScopedFormMixin, form_class), {"__module__": __name__})


class SiteScopedBulkActionMixin:
    """For a ``SnippetBulkAction`` (or any ``BulkAction``) on site-scoped models: the ids posted, and
    "select all", only ever find rows of the user's websites; when none remain, the answer is 404.
    The site path comes from the model's viewset, or from ``site_lookup`` when there is none."""

    site_lookup = None

    def scope(self, queryset):
        site_lookup = self.site_lookup or site_lookup_for(self.model)
        if site_lookup is None:
            raise Http404  # Unscoped models have no business here: refuse rather than leak.
        return scope_to_user(queryset, self.request.user, site_lookup)

    # Wagtail's ``get_queryset`` is a classmethod without the request; this instance method
    # shadows it for ``get_actionable_objects``, the only caller.
    def get_queryset(self, model, object_ids):
        return get_list_or_404(self.scope(model._default_manager.filter(pk__in=object_ids)))

    def get_all_objects_in_listing_query(self, parent_id):
        return self.scope(self.model._default_manager.all()).values_list("pk", flat=True)


class SiteScopedDeleteBulkAction(SiteScopedBulkActionMixin, DeleteBulkAction):
    """Wagtail's own "delete" bulk action, registered for every snippet model, resolves ids across
    all websites; this one takes its place for the site-scoped models."""

    @classproperty
    def models(cls):
        return [model for model in get_snippet_models() if site_lookup_for(model)]


class BillingSitePermissionPolicy(SitePermissionPolicy):
    """For the per-website settings of billing (``BillingSettings``). Wagtail lets a model-wide
    permission reach every website's setting; here the website must also be one of the user's
    billing websites, as everywhere else."""

    def user_has_any_permission_for_instance(self, user, actions, instance):
        site = instance if isinstance(instance, Site) else getattr(instance, self.site_fk_field_name)
        return super().user_has_any_permission_for_instance(user, actions, instance) and may_bill_for(user, site)

    def sites_user_has_any_permission_for(self, user, actions):
        sites = super().sites_user_has_any_permission_for(user, actions)
        return sites.filter(pk__in=billing_sites(user).values("pk"))
