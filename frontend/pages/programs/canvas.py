"""The React Flow canvas as a Reflex component: a thin wrapper of our `flow_canvas.jsx` (@xyflow/react).

See the .jsx for the division of labour: the browser owns dragging, the Python state owns the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import reflex as rx
from reflex.event import no_args_event_spec, passthrough_event_spec

if TYPE_CHECKING:  # Reflex reads these annotations at runtime; mypy cannot type a call inside one
    GraphChanged: TypeAlias = rx.EventHandler
    NodeAdded: TypeAlias = rx.EventHandler
    NodeSelected: TypeAlias = rx.EventHandler
    Pressed: TypeAlias = rx.EventHandler
else:
    GraphChanged = rx.EventHandler[passthrough_event_spec(dict[str, Any])]
    NodeAdded = rx.EventHandler[passthrough_event_spec(str, int, int)]
    NodeSelected = rx.EventHandler[passthrough_event_spec(str)]
    Pressed = rx.EventHandler[no_args_event_spec]

XYFLOW = "@xyflow/react@12.10.1"
_JSX = rx.asset("flow_canvas.jsx", shared=True)
_CSS = rx.asset("flow_canvas.css", shared=True)


class ProgramCanvas(rx.NoSSRComponent):
    library = f"$/public{_JSX}"
    tag = "ProgramCanvas"
    lib_dependencies: list[str] = [XYFLOW]

    graph: rx.Var[dict[str, Any]]
    revision: rx.Var[int]
    fit_token: rx.Var[int]
    problems: rx.Var[list[str]]
    warned: rx.Var[list[str]]
    visited: rx.Var[list[str]]
    selected: rx.Var[str]
    read_only: rx.Var[bool]
    dirty: rx.Var[bool]

    on_graph_change: GraphChanged
    on_add_node: NodeAdded
    on_select: NodeSelected
    on_undo: Pressed
    on_redo: Pressed

    def add_imports(self) -> dict[str, Any]:
        return {"": ["@xyflow/react/dist/style.css", f"$/public{_CSS}"]}


program_canvas = ProgramCanvas.create
