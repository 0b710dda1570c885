"""The rewriting every sandboxed template gets when compiled: loops counted, ``~`` and
list, dict and tuple literals bounded (by the sandbox's own filters, named here)."""

from __future__ import annotations

from jinja2 import nodes

LOOP_FILTER = "officina_loop"
CONCAT_FILTER = "officina_concat"
BOUNDED_FILTER = "officina_bounded"
INTERNAL_FILTERS = (LOOP_FILTER, CONCAT_FILTER, BOUNDED_FILTER)


def _bounded(node: nodes.Node) -> nodes.Node:
    """A list, dict or tuple literal wrapped in the filter that bounds its weight."""
    if isinstance(node, nodes.List | nodes.Dict) or (
            isinstance(node, nodes.Tuple) and node.ctx == "load"):
        return nodes.Filter(node, BOUNDED_FILTER, [], [], None, None, lineno=node.lineno)
    return node


def bound_tree(tree: nodes.Template) -> nodes.Template:
    """``tree`` with every loop counted, every ``~`` and literal bounded (in place)."""
    for loop in tree.find_all(nodes.For):
        if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_FILTER):
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None,
                                     lineno=loop.lineno)
    for parent in [tree, *tree.find_all(nodes.Node)]:
        if isinstance(parent, nodes.Filter) and parent.name == BOUNDED_FILTER:
            continue
        for name in parent.fields:
            value = getattr(parent, name, None)
            if isinstance(value, nodes.Node):
                setattr(parent, name, _bounded(value))
            elif isinstance(value, list):
                setattr(parent, name, [_bounded(v) if isinstance(v, nodes.Node) else v
                                       for v in value])
    for concat in tree.find_all(nodes.Concat):
        if not (len(concat.nodes) == 1 and isinstance(concat.nodes[0], nodes.Filter)
                and concat.nodes[0].name == CONCAT_FILTER):
            concat.nodes = [nodes.Filter(nodes.List(concat.nodes, lineno=concat.lineno),
                                         CONCAT_FILTER, [], [], None, None,
                                         lineno=concat.lineno)]
    return tree

