"""Every template that imports macros passes them its context: the shared macros use ``_``,
``href`` and ``csrf_field``, so an import without ``with context`` renders fine until the macro is
called (an error summary on a refusal) and then answers 500 ("'_' is undefined")."""

from __future__ import annotations

import re

from nte.web.templating import TEMPLATE_DIR

IMPORT = re.compile(r"{%-?\s*(from\s+\S+\s+import\s+[^%]*?|import\s+\S+\s+as\s+\w+[^%]*?)-?%}")


def test_every_macro_import_passes_the_context():
    imports = []
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        for statement in IMPORT.findall(path.read_text(encoding="utf-8")):
            imports.append((path.relative_to(TEMPLATE_DIR), " ".join(statement.split())))
    assert len(imports) >= 20, f"only {len(imports)} macro imports found: is the pattern right?"
    without = [f"{path}: {s}" for path, s in imports if not s.endswith("with context")]
    assert not without, "macro imports without their context:\n" + "\n".join(without)
