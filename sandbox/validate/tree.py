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
            children = [child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.expr_context)]
            self._children[id(node)] = children
            stack.extend(reversed(children))

    def children(self, node: ast.AST) -> list[ast.AST]:
        """The node's children; a node built after the walk (none are) would have none."""
        return self._children.get(id(node), [])
