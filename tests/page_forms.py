"""Form data for a Wagtail page's edit form, or any admin form, as the browser would post it."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text


def page_form_data(page, user, **changes):
    form = page.get_edit_handler().get_form_class()(instance=page, for_user=user)
    data = {name: form[name].value() for name in form.fields if name not in ("comments", "logo")}
    data.update(changes)
    for name in data:
        if name.endswith(("_body", "footer")):
            data[name] = rich_text(data[name])
    data["comments"] = inline_formset([])
    if page.logo_id:
        data["logo"] = page.logo_id
    return {key: value for key, value in nested_form_data(data).items() if value is not None}


def posted_form_data(form, **changes):
    """What a browser posts back for ``form`` (as a view rendered it) with ``changes``: checked
    boxes as "on", unchecked ones and empty values left out."""
    data = {}
    for name, field in form.fields.items():
        value = changes.get(name, form.initial.get(name, field.initial))
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    return data
