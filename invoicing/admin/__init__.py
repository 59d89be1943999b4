"""The module's Wagtail admin: viewsets, views and bulk actions. ``wagtail_hooks`` registers them."""
