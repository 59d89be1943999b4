"""The API's OpenAPI schema: its drf-spectacular settings, which the schema and docs views apply
themselves (the project's ``SPECTACULAR_SETTINGS`` are not needed), and what drf-spectacular
cannot infer: the error answers every operation can give.

Each error body is ``{"code": ..., "detail": ...}`` (validation errors add ``fields``), so clients
and the fuzzing tests can check error responses against the schema as strictly as successes."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema as spectacular_extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def extend_schema(**kwargs):
    """drf-spectacular's ``extend_schema``, built on drf-spectacular's ``AutoSchema`` whatever the
    project's ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` (which it would otherwise build on)."""
    document = spectacular_extend_schema(**kwargs)

    def decorate(view_method):
        if not hasattr(view_method, "schema") and "schema" not in getattr(view_method, "kwargs", {}):
            view_method.schema = AutoSchema
        return document(view_method)

    return decorate


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable, for programs: e.g. invalid_transition."},
        "detail": {"type": "string", "description": "For people."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Validation errors: the messages of each field (e.g. lines[0].unit_price).",
        },
    },
    "required": ["code", "detail"],
}

ERRORS = {
    "400": "Invalid input; `fields` names each field in error.",
    "401": "Not authenticated.",
    "403": "Not allowed: a permission you do not hold on this website (or CSRF on the public POST).",
    "404": "Not found (or another website's).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Not possible in the invoice's current state.",
    "410": "This payment link is expired, revoked or replaced.",
    "415": "Send JSON.",
    "429": "Too many requests; see Retry-After.",
    "503": "The payment provider is unreachable; nothing changed, try again.",
}


def only_invoicing_endpoints(endpoints):
    """drf-spectacular preprocessing hook: this schema documents the invoicing API, not Wagtail's admin API."""
    own_views = (SchemaView, DocsView)
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[3].__module__.startswith("invoicing.") and getattr(endpoint[3], "cls", None) not in own_views
    ]


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the Error component, the error answers of each
    operation, and invoice ids as integers (the URL takes any segment, so that a malformed id
    gets the API's JSON 404 instead of the website's HTML one)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "id":
                    parameter["schema"] = {"type": "integer", "minimum": 1}
                    parameter["description"] = "The invoice's id."
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result


# Applied by the schema and docs views (``urls.py``), whatever the project's SPECTACULAR_SETTINGS.
SCHEMA_SETTINGS = {
    "TITLE": "Invoicing API",
    "DESCRIPTION": "Invoices, payments and statistics of the websites you bill for.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1/order-payments",
    # Swagger UI from drf-spectacular-sidecar's static files: the docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"InvoiceStatusEnum": "invoicing.core.lifecycle.InvoiceStatus"},
    "PREPROCESSING_HOOKS": ["invoicing.api.schema.only_invoicing_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "invoicing.api.schema.add_error_responses",
    ],
}


class SchemaView(SpectacularAPIView):
    schema = AutoSchema()
    custom_settings = SCHEMA_SETTINGS


class DocsView(SpectacularSwaggerView):
    schema = AutoSchema()
    title = SCHEMA_SETTINGS["TITLE"]

    def get(self, request, *args, **kwargs):
        with patched_settings(SCHEMA_SETTINGS):
            return super().get(request, *args, **kwargs)
