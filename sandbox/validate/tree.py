"""One walk of the module shared by the validator's passes: every node in pre-order and each node's children.

`ast.iter_child_nodes` is pure Python and dominated the checking time when each pass walked the tree on its
own. Expression contexts (`Load`, `Store`, `Del`) are left out: they carry nothing to check.
"""

from __future__ import annotations

import ast


class TreeIndex:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.nodes: list[ast.AST] = []  # pre-order, the module first
        self._children: dict[int, list[ast.AST]] = {}
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            self.nodes.append(node)
            children = _child_nodes(node)
            self._children[id(node)] = children
            stack.extend(reversed(children))

    def children(self, node: ast.AST) -> list[ast.AST]:
        """The node's children; a node built after the walk (none are) would have none."""
        return self._children.get(id(node), [])


_AST = ast.AST
_CONTEXT = ast.expr_context


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """ast.iter_child_nodes without expression contexts, as a list, in fewer Python steps."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(item for item in value if isinstance(item, _AST) and not isinstance(item, _CONTEXT))
        elif isinstance(value, _AST) and not isinstance(value, _CONTEXT):
            out.append(value)
    return out
