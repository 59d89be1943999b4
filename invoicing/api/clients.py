"""The clients of the websites you bill for: list, read, create and edit, with their tax details.

A VAT id is checked offline (format and check digits) and stored compact with its country prefix;
reverse charge needs one, an exemption needs its reason (``services.tax.clean_client_tax``). An
issued invoice keeps the treatment it was issued with: editing the client changes drafts only."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter

from ..models import Client
from ..models.access import billing_sites, has_site_permission, scope_to_user
from ..services.tax import ClientTaxInvalid, clean_client_tax
from .permissions import SitePermission
from .schema import extend_schema
from .views import INVOICE_ID, InvoicePagination, InvoicingAPIMixin

CLIENT_PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
}


class HasClientPermission(SitePermission):
    """Staff only, with the ``invoicing.<action>_client`` permission the action needs, on the client's website."""

    model = "client"
    permissions = CLIENT_PERMISSIONS


class ClientSerializer(serializers.ModelSerializer):
    website = serializers.PrimaryKeyRelatedField(source="site", queryset=billing_sites(None))
    tax_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_("A VAT id with its country prefix (checked, stored compact), or another tax id as typed."),
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "website",
            "name",
            "email",
            "billing_address",
            "postal_code",
            "city",
            "country",
            "tax_id",
            "tax_treatment",
            "tax_exemption_reason",
            "buyer_reference",
            "electronic_address",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        self.fields["website"].queryset = billing_sites(user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # A client stays on its website: its invoices do.
            self.fields["website"].read_only = True

    def validate_website(self, site):
        user = getattr(self.context.get("request"), "user", None)
        if not has_site_permission(user, "invoicing.add_client", site):
            raise serializers.ValidationError(_("Your roles on this website do not allow adding clients."))
        return site

    def validate(self, attrs):
        current = self.instance

        def value(name):
            return attrs.get(name, getattr(current, name, "") if current is not None else "")

        try:
            tax_id, treatment, reason = clean_client_tax(
                tax_id=value("tax_id"), treatment=value("tax_treatment"), exemption_reason=value("tax_exemption_reason")
            )
        except ClientTaxInvalid as exc:
            raise serializers.ValidationError({name: [message] for name, message in exc.errors.items()}) from None
        return {**attrs, "tax_id": tax_id, "tax_treatment": treatment, "tax_exemption_reason": reason}


@extend_schema_view(
    list=extend_schema(summary="List clients", description="Of the websites you bill for; search by name or email."),
    retrieve=extend_schema(summary="A client, with its tax details"),
    create=extend_schema(summary="Create a client"),
    update=extend_schema(summary="Replace a client's details"),
    partial_update=extend_schema(summary="Change some of a client's details"),
)
class ClientViewSet(
    InvoicingAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Clients of the websites you bill for (another website's client is a 404)."""

    serializer_class = ClientSerializer
    permission_classes = [HasClientPermission]
    pagination_class = InvoicePagination
    filter_backends = [SearchFilter]
    search_fields = ["name", "email"]
    lookup_value_regex = "[^/]+"
    queryset = Client.objects.none()  # for the schema; ``get_queryset`` is what counts

    def get_queryset(self):
        return scope_to_user(Client.objects.select_related("site").order_by("name", "pk"), self.request.user)

    def get_object(self):
        if not INVOICE_ID.fullmatch(self.kwargs[self.lookup_field]):
            raise NotFound
        return super().get_object()
