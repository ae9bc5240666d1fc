"""One root exception (socialrec/errors.py): every error socialrec defines derives from it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import socialrec
from socialrec.errors import DatabaseError, InputFormatError, SocialrecError


def test_every_exception_type_in_the_package_is_a_socialrec_error() -> None:
    found = []
    for info in pkgutil.walk_packages(socialrec.__path__, "socialrec."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # BaseException-only types (SIGTERM as an interrupt) are control flow, not errors.
            if issubclass(cls, Exception) and cls.__module__ == module.__name__:
                found.append(cls)
    assert len(found) >= 8  # the walk really reached the package's modules
    strays = [f"{c.__module__}.{c.__name__}" for c in found if not issubclass(c, SocialrecError)]
    assert strays == []


def test_input_errors_lead_with_file_and_line() -> None:
    e = InputFormatError("data/x.tsv", 12, "3 columns, expected 2")
    assert str(e) == "data/x.tsv:12: 3 columns, expected 2"
    assert (e.path, e.line) == ("data/x.tsv", 12)


def test_database_errors_say_whether_a_retry_can_help() -> None:
    assert DatabaseError("gone", transient=True).transient
    assert not DatabaseError("syntax").transient
