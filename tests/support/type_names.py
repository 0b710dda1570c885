"""Find code that branches on a field type's name: the checks the field-type registries
(traits, conversions, UI facets) are there to replace.

A check is a comparison or membership test of a type expression (``x.type``, a parameter
called ``field_type`` or ``type_name``, or a variable assigned ``x.type``, ``x["type"]`` or a
call of a function called ``field_type``) against type names: a literal, a tuple or
set of literals, or a collection of type names defined in the module. A collection of two or
more type names, or a mapping keyed by them, counts wherever it is defined: it is a table of
types kept outside the registries. So does a type name handed as a literal to a parameter
called ``field_type`` or ``type_name`` (by keyword, or by position to a function of the
scanned code that has such a parameter), and a registry read by a literal type name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.metadata.field_types import FIELD_TYPES

# Names that are no type but that code once used as if they were ("file", "signature").
LOOKALIKES = frozenset({"file", "signature"})
TYPE_PARAMETERS = frozenset({"field_type", "type_name"})


@dataclass(frozen=True)
class TypeNameCheck:
    """One place that branches on type names."""

    path: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}"


def type_names() -> frozenset[str]:
    """The names a check may compare a type with."""
    return frozenset(FIELD_TYPES) | LOOKALIKES


def _literals(node: ast.AST) -> list[str] | None:
    """The strings ``node`` is made of (a literal, or a tuple, list, set or frozenset of
    literals), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
        found: list[str] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                return None
            inner = _literals(element)
            if inner is None:
                return None
            found += inner
        return found
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("frozenset", "set", "tuple") and len(node.args) == 1):
        return _literals(node.args[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literals(node.left), _literals(node.right)
        return None if left is None or right is None else left + right
    return None


def _reads_a_type(node: ast.AST) -> bool:
    """Whether ``node`` is ``x.type``, ``x["type"]`` or a call of a ``field_type`` function."""
    if isinstance(node, ast.Attribute):
        return node.attr == "type"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "type"
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name == "field_type"
    return False


def _type_variables(tree: ast.Module) -> set[str]:
    """Names that hold a type's name: parameters so called, variables assigned one."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg in TYPE_PARAMETERS:
            found.add(node.arg)
        if isinstance(node, ast.Assign) and _reads_a_type(node.value):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def _names_collection(node: ast.AST, names: frozenset[str], tables: set[str]) -> bool:
    if isinstance(node, ast.Name) and node.id in tables:
        return True
    if isinstance(node, ast.BinOp):
        return (_names_collection(node.left, names, tables)
                or _names_collection(node.right, names, tables))
    found = _literals(node)
    return bool(found) and all(name in names for name in found)


def _type_tables(tree: ast.Module, names: frozenset[str]) -> Iterator[tuple[str | None, ast.AST]]:
    """Assignments of collections of two or more type names, and mappings keyed by them."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            found = _literals(node.value)
            if found and len(found) >= 2 and all(name in names for name in found):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                target = next((t.id for t in targets if isinstance(t, ast.Name)), None)
                yield target, node
        if isinstance(node, ast.Dict) and len(node.keys) >= 2:
            keys = [k.value for k in node.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if len(keys) == len(node.keys) and all(key in names for key in keys):
                yield None, node


def typed_positions(paths: Iterator[Path] | list[Path]) -> dict[str, int]:
    """Functions of ``paths`` by name, with the position of their ``field_type`` (or
    ``type_name``) parameter."""
    found: dict[str, int] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.args]
                for index, name in enumerate(names):
                    if name in TYPE_PARAMETERS:
                        found[node.name] = index - (1 if names[:1] in (["self"], ["cls"]) else 0)
    return found


REGISTRY_NAMES = frozenset({"FACETS", "FIELD_TYPES"})


def _handed_a_name(node: ast.Call, names: frozenset[str], positions: dict[str, int]) -> bool:
    """Whether the call hands a literal type name to a ``field_type`` parameter."""
    if any(k.arg in TYPE_PARAMETERS and _literals(k.value) and all(
            n in names for n in _literals(k.value) or ()) for k in node.keywords):
        return True
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    index = positions.get(called)
    if index is None or index >= len(node.args):
        return False
    argument = node.args[index]
    return isinstance(argument, ast.Constant) and argument.value in names


def _registry_read(node: ast.Subscript, names: frozenset[str]) -> bool:
    """Whether ``node`` is ``FACETS["date"]`` (a registry read by a literal type name)."""
    owner = node.value
    shown = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return shown in REGISTRY_NAMES and isinstance(node.slice, ast.Constant) \
        and node.slice.value in names


def checks_in(path: Path, root: Path,
              positions: dict[str, int] | None = None) -> list[TypeNameCheck]:
    """Every check of a type's name in the Python file ``path`` (``positions``: the
    functions that take a type's name, and where; see ``typed_positions``)."""
    names = type_names()
    positions = positions if positions is not None else typed_positions([path])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = str(path.relative_to(root))
    found: list[TypeNameCheck] = []
    tables: set[str] = set()
    for target, node in _type_tables(tree, names):
        if target:
            tables.add(target)
        found.append(TypeNameCheck(shown, getattr(node, "lineno", 0), ast.unparse(node)[:90]))
    variables = _type_variables(tree)

    def typed(node: ast.AST) -> bool:
        return ((isinstance(node, ast.Attribute | ast.Call) and _reads_a_type(node))
                or (isinstance(node, ast.Name) and node.id in variables))

    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and _handed_a_name(node, names, positions)) or (
                isinstance(node, ast.Subscript) and _registry_read(node, names)):
            found.append(TypeNameCheck(shown, node.lineno, ast.unparse(node)[:90]))
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if any(typed(o) for o in operands) and any(
                _names_collection(o, names, tables) for o in operands):
            found.append(TypeNameCheck(shown, node.lineno, ast.unparse(node)[:90]))
    return sorted(found, key=lambda c: c.line)


def checks_under(folder: Path, root: Path, allowed: frozenset[str]) -> list[TypeNameCheck]:
    """The checks of every Python file under ``folder`` but the ``allowed`` ones (paths
    relative to ``root``, a folder when they end with ``/``)."""
    found: list[TypeNameCheck] = []
    paths = sorted(folder.rglob("*.py"))
    positions = typed_positions(paths)
    for path in paths:
        shown = str(path.relative_to(root))
        if shown in allowed or any(shown.startswith(a) for a in allowed if a.endswith("/")):
            continue
        found += checks_in(path, root, positions)
    return found
