"""A MkDocs hook (mkdocs.yml's ``hooks:``): a page whose front matter says ``navigation: false`` is
built, and its links work, but it leaves the navigation. The generator says so on the Versions page
until some machine's results hold two measured releases of a framework, so the navigation never
offers a page with nothing to show."""

from __future__ import annotations

from typing import Any

from mkdocs.structure.pages import Page


def shown(item: Any, config: Any) -> bool:
    """Whether a navigation item stays: anything but a page whose front matter says ``navigation: false``."""
    if not isinstance(item, Page):
        return True
    item.read_source(config)  # sets its front matter; the build reads the page again later
    return item.meta.get("navigation", True) is not False


def on_nav(nav: Any, config: Any, files: Any) -> Any:
    """Takes the pages that ask for it out of the navigation, at any depth."""

    def keep(items: list[Any]) -> list[Any]:
        kept = [item for item in items if shown(item, config)]
        for item in kept:
            if item.children:
                item.children = keep(item.children)
        return kept

    nav.items = keep(nav.items)
    nav.pages = [page for page in nav.pages if shown(page, config)]
    return nav
