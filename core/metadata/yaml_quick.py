"""Parse large, plain YAML files (fixtures) faster, keeping the line of every key and item.

The round-trip loader of ``yaml_source`` gathers comments and builds commented containers:
for thousands of demo rows that doubles the time of the parse. Here the safe parser composes
the node tree (no comments kept) and one walk turns it into plain data, taking each line from
the node's start mark. Whatever this walk does not do as the round-trip loader would, it
leaves to that loader: anchors, aliases, merge keys, duplicate keys, explicit tags and every
syntax error are parsed again by ``parse_yaml``, so data, lines and messages are the same.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.metadata.diagnostics import PathPart
from core.metadata.yaml_source import SourceDocument, parse_yaml

_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:int",
                         "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                         "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
                         "tag:yaml.org,2002:seq"})
_STR = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """The document uses YAML the quick walk leaves to the round-trip loader."""


class _Walk:
    """Plain data and the line of each key path out of a composed node tree."""

    def __init__(self, yaml: YAML):
        self.constructor = yaml.constructor
        self.lines: dict[tuple[PathPart, ...], int] = {(): 1}

    def plain(self, node: Node, path: tuple[PathPart, ...]) -> Any:
        if node.anchor is not None or node.tag not in _PLAIN_TAGS:
            raise _NotPlain
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.constructor.construct_object(node)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                self.lines[item_path] = item.start_mark.line + 1
                items.append(self.plain(item, item_path))
            return items
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):  # merge keys have their own tag
                    raise _NotPlain
                key = str(self.plain(key_node, path))
                if key in out:
                    raise _NotPlain  # the round-trip loader names the duplicate
                key_path = (*path, key)
                self.lines[key_path] = key_node.start_mark.line + 1
                out[key] = self.plain(value_node, key_path)
            return out
        raise _NotPlain


def parse_yaml_quickly(text: str, file: str) -> SourceDocument:
    """``parse_yaml(text, file)``, about twice as fast on plain documents (the same data,
    lines and errors)."""
    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
        if node is None:
            raise _NotPlain
        walk = _Walk(yaml)
        data = walk.plain(node, ())
    except Exception:  # anything unusual: the round-trip loader decides
        return parse_yaml(text, file)
    return SourceDocument(file=file, data=data, lines=walk.lines)
