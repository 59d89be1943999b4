"""The sign-in email of the client's billing account: fixed, translatable wording (editors do
not write it: it carries a credential), in the website's branding. Pure: it writes nothing."""

import css_inline
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .compose import ComposedEmail, email_frame


def compose_sign_in_email(template, *, client_name, website_name, url, minutes, logo_url=None):
    context = {
        **email_frame(template, website_name=website_name, logo_url=logo_url),
        "kind": "sign_in",
        "subject": _("Your sign-in link for %(website)s") % {"website": website_name},
        "preheader": _("It works once, for %(minutes)s minutes.") % {"minutes": minutes},
        "client_name": client_name,
        "sign_in_url": url,
        "minutes": minutes,
    }
    html = render_to_string("invoicing/email/sign_in.html", context)
    text = render_to_string("invoicing/email/sign_in.txt", context)
    return ComposedEmail(subject=context["subject"], html=css_inline.inline(html), text=text.strip() + "\n")
