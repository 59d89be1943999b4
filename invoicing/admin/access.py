"""Site scoping for the admin's views and bulk actions.

Wagtail is not multi-tenant: its generic views find objects with ``self.model._default_manager``
(edit, delete, history, usage, copy, revisions), ``get_base_queryset`` (listing, search, filters,
export) or ``self.model_class.objects`` (choosers), and bulk actions with ``get_list_or_404``. So a
site-scoped viewset wraps ``construct_view``: every view it builds, Wagtail's and ours alike, gets
``SiteScopedViewMixin``, which answers 404 before the view runs when the URL names an object of
another website, and narrows every queryset of the model to the user's websites.

Seeing is not acting: a permission counts only on the websites that the group holding it grants
(``models.access.sites_granting``). So the model's permission policy (``SiteScopedPermissionPolicy``)
checks an instance against its own website, and a view whose URL names an object checks each of
its permissions against that object's website: 403 where it is not held there.
"""

from functools import cache

from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_list_or_404
from django.utils.functional import cached_property, classproperty
from wagtail.admin.views.generic.models import IndexView
from wagtail.models import Site
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.sites import SitePermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models

from ..models.access import (
    has_site_permission,
    holds_anywhere,
    scope_to_user,
    site_id_of,
    site_ids_holding,
    site_lookup_for,
)
from .forms import SiteScopedFormMixin, scope_field

# Reports, the dashboard's figures and the listings' CSV/XLSX exports.
REPORT_PERMISSION = "invoicing.report_invoice"


class SiteScopedPermissionPolicyMixin:
    """For a ``ModelPermissionPolicy`` of a model that belongs to a website: a permission on one
    instance must also be held on the instance's website. Wagtail's bulk actions, listings and
    inspect views ask ``user_has_permission_for_instance``; views that name an object in their URL
    ask ``user_has_any_permission_on_site`` (``SiteScopedViewMixin``)."""

    def user_has_any_permission_on_site(self, user, actions, site_id):
        return has_site_permission(user, [self._get_permission_name(action) for action in actions], site_id)

    def user_has_permission_for_instance(self, user, action, instance):
        return super().user_has_permission_for_instance(
            user, action, instance
        ) and self.user_has_any_permission_on_site(user, [action], site_id_of(instance))


class SiteScopedPermissionPolicy(SiteScopedPermissionPolicyMixin, ModelPermissionPolicy):
    """The policy of a site-scoped model that needs no other rule (clients, templates, …)."""


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
        if pk is not None:
            self.object_site_id = self.site_id_in_scope(unquote(str(pk)), request.user)
        super().setup(request, *args, **kwargs)

    def site_id_in_scope(self, pk, user):
        """The website id of the object ``pk``, if it is one of ``user``'s websites'; else 404."""
        try:
            objects = self.scope(self.scoped_model._default_manager.filter(pk=pk), user)
            found = list(objects.values_list(self.site_lookup, flat=True)[:1])
        except (ValueError, ValidationError):  # not even an id ("abc" for a number): no such object
            found = []
        if not found:
            raise Http404
        return found[0]

    # Wagtail's views (``PermissionCheckedMixin``) and ours ask these, for the whole model; on a
    # view of one object, the permission must also be held on that object's website.
    def user_has_permission(self, permission):
        return super().user_has_permission(permission) and self.holds_on_object_site([permission])

    def user_has_any_permission(self, permissions):
        return super().user_has_any_permission(permissions) and self.holds_on_object_site(permissions)

    def holds_on_object_site(self, actions):
        if not hasattr(self, "object_site_id"):
            return True  # a listing, a create view: rows and choices are checked one by one
        return self.permission_policy.user_has_any_permission_on_site(self.request.user, actions, self.object_site_id)

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


class SiteScopedIndexMixin:
    """A listing's links to one row's views, only where the row's website allows them: the views
    themselves would answer 403. Its CSV/XLSX export is a report: for those who may read reports,
    with the rows of the websites where they may."""

    def dispatch(self, request, *args, **kwargs):
        if self.is_export and not self.show_export_buttons:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def show_export_buttons(self):
        user = self.request.user
        return super().show_export_buttons and holds_anywhere(user, REPORT_PERMISSION)

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        user = self.request.user
        if self.is_export and not user.is_superuser:
            queryset = queryset.filter(**{f"{self.site_lookup}__in": site_ids_holding(user, REPORT_PERMISSION)})
        return queryset

    def get_edit_url(self, instance):
        return self._if_allowed_on(instance, "change", super().get_edit_url(instance))

    def get_copy_url(self, instance):
        return self._if_allowed_on(instance, "add", super().get_copy_url(instance))

    def get_inspect_url(self, instance):
        return self._if_allowed_on(instance, ["add", "change", "delete", "view"], super().get_inspect_url(instance))

    def get_delete_url(self, instance):
        return self._if_allowed_on(instance, "delete", super().get_delete_url(instance))

    def _if_allowed_on(self, instance, actions, url):
        if not url:
            return None
        actions = [actions] if isinstance(actions, str) else actions
        allowed = self.permission_policy.user_has_any_permission_for_instance(self.request.user, actions, instance)
        return url if allowed else None


@cache
def site_scoped_view_class(view_class, site_lookup):
    bases = (SiteScopedViewMixin, view_class)
    if issubclass(view_class, IndexView):
        bases = (SiteScopedIndexMixin, *bases)
    return type(f"SiteScoped{view_class.__name__}", bases, {"site_lookup": site_lookup})


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

    def register_permissions(self):
        # A model with no policy of its own gets the site-scoped one; one of its own must be site-scoped.
        policy = policy_registry.get_by_type(self.model, fallback=False)
        if policy is None:
            register_permission_policy(self.model, SiteScopedPermissionPolicy(self.model))
        elif not isinstance(policy, SiteScopedPermissionPolicyMixin):
            raise ImproperlyConfigured(
                f"{type(policy).__name__} of {self.model.__name__} must be a SiteScopedPermissionPolicyMixin."
            )
        super().register_permissions()

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
    permission reach every website's setting; here, as for every billing permission, it counts on
    the websites that the group holding it grants, and nowhere else."""

    def _names(self, actions):
        return [self._get_permission_name(action) for action in actions]

    def user_has_any_permission_for_instance(self, user, actions, instance):
        site_id = instance.pk if isinstance(instance, Site) else getattr(instance, self.site_fk_field_name)
        return super().user_has_any_permission_for_instance(user, actions, instance) and has_site_permission(
            user, self._names(actions), site_id
        )

    def sites_user_has_any_permission_for(self, user, actions):
        sites = super().sites_user_has_any_permission_for(user, actions)
        if user.is_active and user.is_superuser:
            return sites
        return sites.filter(pk__in=set().union(*(site_ids_holding(user, name) for name in self._names(actions))))
