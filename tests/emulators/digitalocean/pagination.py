# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's pagination: ``page`` (from 1) and ``per_page`` (default 20, at most 200).

The body carries ``links.pages`` with absolute URLs (``first``/``prev`` after the first page,
``next``/``last`` before the last one; none at all when everything fits one page) and
``meta.total``, the number of items across all pages.
"""

from urllib.parse import urlencode

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


def capped_per_page(raw):
    """DigitalOcean answers ``per_page`` above 200 with pages of 200 rather than an error."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return raw
    return str(MAX_PER_PAGE) if value > MAX_PER_PAGE else raw


def paginate(key, items, base_url, path, query):
    """The list body for ``items`` as the page ``query`` asks for (query already validated)."""
    page = int(query.get("page") or 1)
    per_page = min(int(query.get("per_page") or DEFAULT_PER_PAGE), MAX_PER_PAGE)
    total = len(items)
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    extra = [(name, value) for name, value in sorted(query.items()) if name not in ("page", "per_page") and value is not None]

    def url(number):
        params = [("page", number), ("per_page", per_page)] + extra
        return "%s%s?%s" % (base_url.rstrip("/"), path, urlencode(params))

    pages = {}
    if page > 1:
        pages["first"] = url(1)
        pages["prev"] = url(min(page - 1, last))
    if page < last:
        pages["next"] = url(page + 1)
        pages["last"] = url(last)
    return {key: items[start:start + per_page], "links": {"pages": pages} if pages else {}, "meta": {"total": total}}
