"""smattest's routes as ``app.url_map`` has them: a new route is covered without a test edit."""

from __future__ import annotations

from werkzeug.routing import AnyConverter, IntegerConverter, Rule


def smattest_rules(app) -> list[Rule]:
    """Every rule of smattest's blueprint except its static files."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("smattest.") and rule.endpoint != "smattest.static"
        ),
        key=lambda rule: rule.rule,
    )


def has_int(rule: Rule) -> bool:
    """Whether the rule carries a whole number (an id or a version number)."""
    return any(isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments)


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def fill(app, rule: Rule, number: int = 1, text: str = "social-media") -> str:
    """The rule's URL with every whole-number part set to ``number`` and the others to ``text``."""
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = number
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = text
    return app.url_map.bind("localhost").build(rule.endpoint, values)
