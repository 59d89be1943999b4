"""Form data for a Wagtail page's edit form, as the editor's browser would post it."""

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
