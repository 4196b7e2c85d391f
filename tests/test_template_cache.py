"""Compiled templates kept in the package's __pycache__ (template_cache.py): reused, checked, never required."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator.template_cache import FOLDER, TemplateBytecode


def environment(cache: TemplateBytecode, source: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({"page.html": source}), bytecode_cache=cache, autoescape=True)


def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates Jinja compiles from source from now on."""
    seen: list[str] = []
    original = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        seen.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return seen


def test_a_new_process_reads_what_an_earlier_one_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seen = compiles(monkeypatch)
    first = environment(TemplateBytecode(tmp_path), "<p>{{ name }}</p>")
    assert first.get_template("page.html").render(name="<b>") == "<p>&lt;b&gt;</p>"
    assert seen == ["page.html"] and len(list(tmp_path.iterdir())) == 1
    # a fresh cache object stands for a new process: nothing in memory, the entry on disk
    again = environment(TemplateBytecode(tmp_path), "<p>{{ name }}</p>")
    assert again.get_template("page.html").render(name="张") == "<p>张</p>"
    assert seen == ["page.html"]


def test_a_changed_template_or_a_damaged_entry_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seen = compiles(monkeypatch)
    environment(TemplateBytecode(tmp_path), "<p>{{ name }}</p>").get_template("page.html")
    changed = environment(TemplateBytecode(tmp_path), "<i>{{ name }}</i>")
    assert changed.get_template("page.html").render(name="x") == "<i>x</i>"
    assert len(seen) == 2
    for entry in tmp_path.iterdir():
        entry.write_bytes(entry.read_bytes()[:20])
    damaged = environment(TemplateBytecode(tmp_path), "<i>{{ name }}</i>")
    assert damaged.get_template("page.html").render(name="y") == "<i>y</i>"
    assert len(seen) == 3


def test_a_folder_that_cannot_be_made_compiles_in_memory(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = TemplateBytecode(blocker / "jinja")
    assert cache.disk is None
    assert environment(cache, "{{ 2 * 3 }}").get_template("page.html").render() == "6"


def test_the_cache_lives_with_the_code_not_with_a_site():
    """Beside the generator's own .pyc files (as trusted as the code), out of the code digest."""
    assert FOLDER.parent.name == "__pycache__" and FOLDER.parent.parent.name == "generator"
