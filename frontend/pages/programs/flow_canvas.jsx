// The program canvas: React Flow with a palette, typed nodes and branch handles.
//
// The canvas keeps its own copy of the graph so dragging stays smooth; it reports a finished change
// (drag stop, connect, delete) through onGraphChange with the whole graph, and reloads from `graph`
// whenever `revision` changes (the hub edited, undid, laid out or loaded it). Adding a node, selecting,
// undo and redo are events the hub's Python state handles.
import React, { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useBlocker } from "react-router";
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Panel,
  Position,
  ReactFlow,
  ReactFlowProvider,
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
} from "@xyflow/react";

export const NODE_KINDS = [
  { type: "message", label: "Message", hint: "Send a text" },
  { type: "checkin", label: "Check-in", hint: "Ask and wait for an answer" },
  { type: "wait", label: "Wait", hint: "A duration or a time of day" },
  { type: "condition", label: "Condition", hint: "Branch on an answer or event" },
  { type: "goal", label: "Goal", hint: "Record a milestone" },
  { type: "twin", label: "Twin chat", hint: "Open talk with the twin" },
  { type: "end", label: "End", hint: "Finish the program" },
];
const LABELS = { start: "Start", ...Object.fromEntries(NODE_KINDS.map((k) => [k.type, k.label])) };

function clip(text, n = 70) {
  const s = String(text || "").replace(/\s+/g, " ").trim();
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function minutes(m) {
  const v = Number(m);
  if (!v) return "";
  if (v % 1440 === 0) return `${v / 1440} d`;
  if (v % 60 === 0) return `${v / 60} h`;
  return `${v} min`;
}

function summary(type, d) {
  switch (type) {
    case "start":
      return "Enrollment begins here";
    case "message":
      return clip(d.text || (d.variants || [])[0]) || "(no text yet)";
    case "checkin":
      return clip(d.question) || "(no question yet)";
    case "wait":
      return d.until ? `until ${d.until} member time` : d.duration_minutes ? `for ${minutes(d.duration_minutes)}` : "(set a wait)";
    case "condition":
      return `on ${d.source || "?"}` + (d.source === "attribute" ? ` ${d.attribute || ""}` : d.source === "event" ? ` ${d.event || ""}` : "");
    case "goal":
      return clip(d.name) || "(no name yet)";
    case "twin":
      return clip(d.topic) || "(no topic yet)";
    default:
      return "";
  }
}

// The branches a node offers: one plain exit, rule labels + else for a condition, a timeout when a
// check-in or twin chat has an answer window, none for an end.
export function branches(type, d) {
  if (type === "end") return [];
  if (type === "condition") {
    const rules = Array.isArray(d.rules) ? d.rules.map((r) => String((r && r.label) || "").trim()).filter(Boolean) : [];
    return [...rules, "else"];
  }
  if ((type === "checkin" || type === "twin") && d.window_minutes) return [null, "timeout"];
  return [null];
}

function ProgramNode({ id, type, data }) {
  const exits = branches(type, data || {});
  return (
    <div className={`ct-node ct-node-${type}`} data-testid="canvas-node" data-node-id={id} data-node-type={type}>
      {type !== "start" && <Handle type="target" position={Position.Top} className="ct-handle" />}
      <div className="ct-node-kind">{LABELS[type] || type}</div>
      {data && data.title && <div className="ct-node-title">{clip(data.title, 40)}</div>}
      <div className="ct-node-summary">{summary(type, data || {})}</div>
      {exits.length > 1 && (
        <div className="ct-node-exits">
          {exits.map((b) => (
            <span key={b || "next"}>{b || "next"}</span>
          ))}
        </div>
      )}
      {exits.map((b, i) => (
        <Handle
          key={b || "next"}
          type="source"
          position={Position.Bottom}
          id={b || undefined}
          className="ct-handle"
          data-testid="source-handle"
          data-branch={b || "next"}
          style={{ left: `${((i + 1) * 100) / (exits.length + 1)}%` }}
        />
      ))}
    </div>
  );
}

const NODE_TYPES = Object.fromEntries(["start", ...NODE_KINDS.map((k) => k.type)].map((t) => [t, ProgramNode]));
// A small program is shown at 100%, not blown up; a big one opens on its first steps at a zoom whose text reads
// (about 10 px and up), not shrunk until every step fits.
const FIT = { padding: 0.2, maxZoom: 1, minZoom: 0.8 };
const FIRST_STEPS = 4; // how many steps along from the start the first view shows
const LEAVE = "This program has unsaved changes. Leave without saving them?";

// The start and the steps a few connections after it: where a person begins reading a program.
function firstSteps(nodes, edges) {
  const start = nodes.find((n) => n.type === "start");
  if (!start) return nodes.slice(0, FIRST_STEPS);
  const seen = new Set([start.id]);
  let front = [start.id];
  for (let depth = 1; depth < FIRST_STEPS && front.length; depth++) {
    front = edges.filter((e) => front.includes(e.source) && !seen.has(e.target)).map((e) => e.target);
    front.forEach((id) => seen.add(id));
  }
  return nodes.filter((n) => seen.has(n.id));
}

// React Flow styles itself light or dark from its colorMode (a class on its root, which also scopes the theme's
// colour variables): follow the hub's theme, which the page keeps as a class on <html>.
function useDarkTheme() {
  const read = () => typeof document !== "undefined" && document.documentElement.classList.contains("dark");
  const [dark, setDark] = useState(read);
  useEffect(() => {
    const watch = new MutationObserver(() => setDark(read()));
    watch.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => watch.disconnect();
  }, []);
  return dark;
}

// Leaving the builder with unsaved changes asks first: links inside the hub (the router) and closing or
// reloading the tab (the browser).
function useLeaveGuard(dirty) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state === "blocked") {
      if (window.confirm(LEAVE)) blocker.proceed();
      else blocker.reset();
    }
  }, [blocker]);
  useEffect(() => {
    if (!dirty) return undefined;
    const onBeforeUnload = (e) => {
      e.preventDefault();
      e.returnValue = LEAVE;
      return LEAVE;
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);
}
const EDGE_DEFAULTS = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };
const VOLATILE = ["selected", "dragging", "measured", "width", "height", "className", "deletable", "resizing"];

function clean(items) {
  return items.map((item) => {
    const out = { ...item };
    VOLATILE.forEach((k) => delete out[k]);
    return out;
  });
}

function isTyping(target) {
  const tag = (target && target.tagName) || "";
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
}

function Canvas(props) {
  const { graph, revision, fitToken, problems, warned, visited, selected, readOnly, dirty } = props;
  const { onGraphChange, onAddNode, onSelect, onUndo, onRedo } = props;
  const [nodes, setNodes] = useState(() => (graph && graph.nodes) || []);
  const [edges, setEdges] = useState(() => (graph && graph.edges) || []);
  const pending = useRef(false);
  const wrapper = useRef(null);
  const flow = useReactFlow();
  useLeaveGuard(Boolean(dirty));
  const dark = useDarkTheme();

  // The hub changed the graph: take its copy.
  useEffect(() => {
    setNodes((graph && graph.nodes) || []);
    setEdges((graph && graph.edges) || []);
    pending.current = false;
  }, [revision]);

  useEffect(() => {
    if (fitToken) {
      const t = setTimeout(() => flow.fitView({ ...FIT, nodes: firstSteps(flow.getNodes(), flow.getEdges()), duration: 200 }), 50);
      return () => clearTimeout(t);
    }
  }, [fitToken]);

  // Report a finished change once React has applied it.
  useEffect(() => {
    if (pending.current && onGraphChange) {
      pending.current = false;
      onGraphChange({ nodes: clean(nodes), edges: clean(edges) });
    }
  }, [nodes, edges]);

  const onNodesChange = useCallback((changes) => {
    if (changes.some((c) => c.type === "remove" || (c.type === "position" && c.dragging === false))) {
      pending.current = true;
    }
    setNodes((ns) => applyNodeChanges(changes, ns));
  }, []);

  const onEdgesChange = useCallback((changes) => {
    if (changes.some((c) => c.type === "remove")) pending.current = true;
    setEdges((es) => applyEdgeChanges(changes, es));
  }, []);

  const onConnect = useCallback((params) => {
    const branch = params.sourceHandle || null;
    const id = `e-${params.source}-${params.target}${branch ? "-" + branch : ""}-${Math.random().toString(36).slice(2, 7)}`;
    pending.current = true;
    setEdges((es) => {
      // One edge per exit: a new connection from the same exit replaces the old one.
      const rest = es.filter((e) => !(e.source === params.source && (e.sourceHandle || null) === branch));
      return addEdge({ ...params, id, label: branch || undefined }, rest);
    });
  }, []);

  const onDrop = useCallback(
    (event) => {
      event.preventDefault();
      const type = event.dataTransfer.getData("application/x-coachtwin-node");
      if (!type || !onAddNode) return;
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      onAddNode(type, Math.round(at.x - 90), Math.round(at.y - 25));
    },
    [flow, onAddNode],
  );

  const addAtCenter = useCallback(
    (type) => {
      if (!onAddNode || !wrapper.current) return;
      const box = wrapper.current.getBoundingClientRect();
      const at = flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
      onAddNode(type, Math.round(at.x - 90), Math.round(at.y - 25));
    },
    [flow, onAddNode],
  );

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e.target) || !(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey && onUndo) {
        e.preventDefault();
        onUndo();
      } else if (((key === "z" && e.shiftKey) || key === "y") && onRedo) {
        e.preventDefault();
        onRedo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onUndo, onRedo]);

  const problemSet = useMemo(() => new Set(problems || []), [problems]);
  const warnedSet = useMemo(() => new Set(warned || []), [warned]);
  const visitedSet = useMemo(() => new Set(visited || []), [visited]);
  const shown = useMemo(
    () =>
      nodes.map((n) => ({
        ...n,
        selected: n.selected || n.id === selected,
        deletable: !readOnly && n.type !== "start",
        className: [
          problemSet.has(n.id) ? "ct-problem" : warnedSet.has(n.id) ? "ct-warned" : "",
          visitedSet.has(n.id) ? "ct-visited" : "",
        ].join(" ").trim(),
      })),
    [nodes, problemSet, warnedSet, visitedSet, selected, readOnly],
  );

  return (
    <div className="ct-canvas" ref={wrapper} onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="program-canvas">
      <ReactFlow
        nodes={shown}
        edges={edges}
        nodeTypes={NODE_TYPES}
        colorMode={dark ? "dark" : "light"}
        defaultEdgeOptions={EDGE_DEFAULTS}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeClick={(_, node) => onSelect && onSelect(node.id)}
        onPaneClick={() => onSelect && onSelect("")}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={readOnly ? null : ["Backspace", "Delete"]}
        minZoom={0.1}
        maxZoom={2}
        onlyRenderVisibleElements={nodes.length > 150}
        fitView
        fitViewOptions={{ ...FIT, nodes: firstSteps(nodes, edges) }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} />
        <Controls showInteractive={false} aria-label="Zoom" />
        <MiniMap pannable zoomable className="ct-minimap" ariaLabel="Map of the whole program" />
        {!readOnly && (
          <Panel position="top-left" className="ct-palette" data-testid="palette">
            <div className="ct-palette-title" id="ct-palette-title">Add a step: drag it, or press it</div>
            <div className="ct-palette-items" role="group" aria-labelledby="ct-palette-title">
              {NODE_KINDS.map((k) => (
                <button
                  type="button"
                  key={k.type}
                  className={`ct-palette-item ct-node-${k.type}`}
                  draggable
                  title={k.hint}
                  aria-label={`Add a ${k.label.toLowerCase()} step`}
                  data-testid={`palette-${k.type}`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData("application/x-coachtwin-node", k.type);
                    e.dataTransfer.effectAllowed = "move";
                  }}
                  onClick={() => addAtCenter(k.type)}
                >
                  {k.label}
                </button>
              ))}
            </div>
          </Panel>
        )}
      </ReactFlow>
    </div>
  );
}

export function ProgramCanvas(props) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}
