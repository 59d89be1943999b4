"""Admin forms that stay within the user's websites. Every site-scoped viewset's create, edit and
copy forms get ``SiteScopedFormMixin`` (see ``SiteScopedViewSetMixin.get_form_class``)."""

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.models import Site

from ..services.access import scope_choices


def scope_field(field, user):
    """Narrow a choice field (a form's, a filter's) to ``user``'s websites. Its widget too: a
    chooser shows the title of whatever id it is given (posted back, or in a filter's URL) and
    finds it unscoped, which would name another website's client on the page."""
    if not isinstance(getattr(field, "queryset", None), QuerySet):
        return
    field.queryset = queryset = scope_choices(field.queryset, user)
    if isinstance(field.widget, BaseChooser):
        unscoped_lookup = field.widget.get_instance

        def get_instance(value):
            instance = unscoped_lookup(value)
            return instance if instance is not None and queryset.filter(pk=instance.pk).exists() else None

        field.widget.get_instance = get_instance


class SiteScopedFormMixin:
    """The website and every related object (a client, …) can only be chosen among the user's
    websites, and whatever is chosen must belong to the form's own website. The choices are
    checked on the server: a posted id of another website is refused like any invalid choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            scope_field(field, self.for_user)

    def clean(self):
        cleaned_data = super().clean()
        site = cleaned_data.get("site") if "site" in self.fields else getattr(self.instance, "site", None)
        if not isinstance(site, Site):
            return cleaned_data
        for name, value in list(cleaned_data.items()):
            if name != "site" and isinstance(value, Model) and getattr(value, "site_id", site.pk) != site.pk:
                self.add_error(
                    name,
                    ValidationError(
                        _("%(object)s belongs to another website than %(site)s.") % {"object": value, "site": site},
                        code="other_website",
                    ),
                )
        return cleaned_data
