"""Signing a test client in to a billing account, as a client would: the link, then its button."""

from urllib.parse import urlsplit

from invoicing.services.sign_in import issue_sign_in_link

ACCOUNT = "/account/"


def host(person):
    return {"HTTP_HOST": person.site.hostname}


def sign_in(http, person):
    """``http`` (Django's test client) signed in to ``person``'s account on their website."""
    link = issue_sign_in_link(person)
    answer = http.post(urlsplit(link.url).path, **host(person))
    assert answer.status_code == 302, answer
    return link
