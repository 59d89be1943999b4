"""Rich text from the template page, made safe for an email at render time too.

The editor already limits features, but stored HTML can come from elsewhere (the API, a data
migration, an old revision); so only an allow-list of tags survives, links keep only their
``href``, and only http(s) and mailto links are kept.
"""

import re
from html import unescape

from bs4 import BeautifulSoup
from django.utils.html import strip_tags
from wagtail.rich_text import expand_db_html

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li", "h2", "h3", "h4"}
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "head", "title"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


# Filled in after sanitising, with the system's own URL; no other placeholder may be a link,
# since a client's name such as "javascript:..." would then become one.
PAY_LINK_HREF = "{pay_link}"


def safe_href(href):
    href = "".join((href or "").split())
    return href == PAY_LINK_HREF or href.lower().startswith(SAFE_SCHEMES)


def sanitize_rich_text(html):
    soup = BeautifulSoup(expand_db_html(html or ""), "html.parser")
    for element in soup.find_all(DROPPED_WITH_CONTENT):
        element.decompose()
    for element in soup.find_all(True):
        if element.name not in ALLOWED_TAGS:
            element.unwrap()
            continue
        href = element.attrs.get("href")
        element.attrs = {}
        if element.name == "a":
            if safe_href(href):
                element.attrs = {"href": href}
            else:
                element.unwrap()
    return str(soup)


def rich_text_to_plain(html, *, paragraph_break="\n"):
    """Paragraphs and list items become lines (paragraphs end with ``paragraph_break``); tags and
    entities go."""
    text = re.sub(r"</p>|</h[2-4]>", paragraph_break, expand_db_html(html or ""))
    text = re.sub(r"</li>|<br\s*/?>", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", unescape(strip_tags(text))).strip()
