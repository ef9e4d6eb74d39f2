"""The tables in docs/*.md are what ``docs/generate.py`` (``make docs``) writes: no drift."""

import difflib
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", REPO / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fill_replaces_only_the_marked_blocks():
    gen = _generator()
    text = "prose\n<!-- generated:t -->\n| old |\n<!-- /generated -->\nmore prose\n"
    assert (
        gen.fill(text, {"t": "| new |\n"}) == "prose\n<!-- generated:t -->\n| new |\n<!-- /generated -->\nmore prose\n"
    )
    with pytest.raises(KeyError, match="no generator"):
        gen.fill(text, {})
    with pytest.raises(KeyError, match="no <!-- generated:NAME --> marker"):
        gen.fill(text, {"t": "x", "u": "y"})


@pytest.mark.slow
def test_committed_docs_match_the_generator(data_dir, shared_rail_data):
    gen = _generator()
    stale = []
    for path, text in gen.generated_docs(data=data_dir).items():
        committed = path.read_text(encoding="utf-8")
        assert "<!-- generated:" in committed, path.name
        if committed != text:
            diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), path.name, "generated", lineterm="")
            stale.append("\n".join(list(diff)[:40]))
    assert not stale, "docs out of date: run `make docs`\n" + "\n\n".join(stale)
