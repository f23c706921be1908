"""An OpenVINO model as an ONNX graph, so that ONNX Runtime (and through it NVIDIA GPUs) can run it.

The project's models exist here only as OpenVINO IR with f16 weights (the fp32 Paddle and ONNX exports
were out of reach: ../shared/models/SOURCES.md), so ONNX Runtime gets a graph converted from the IR, on
the user's machine and in memory. The input shape is fixed first and the constants folded: the shape
arithmetic (ShapeOf, StridedSlice, Gather, Range...) and the f16 -> f32 weight conversions become
constants. Each op left maps to one ONNX node (``_OPS``); an op or an attribute without a mapping is
refused by name.

A free batch size (the keypoint model takes all crops of a frame in one call) is kept only when the
graph folded for batch 1 and for batch 2 is the same: then no constant depends on the batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import openvino as ov
from onnx import helper, numpy_helper
from openvino.passes import ConstantFolding, Manager

from pose_demo.i18n import UserError
from pose_demo.models.store import ModelFolder

OPSET = 18  # Resize with an axes attribute, Split with num_outputs, ReduceMean's axes as an input
IR_VERSION = 8  # the first to carry opset 18: onnxruntime 1.14 and later read it
BATCH = "batch"  # the name of a free first input dimension
VERSION = 1  # of the conversion, in the names of the files it keeps: a changed conversion makes new ones


class ConversionError(UserError, ValueError):
    """The model holds an op (or an op's setting) that the conversion does not handle."""


def to_onnx(model: ov.Model, batch: int | None = 1) -> onnx.ModelProto:
    """``model`` (one input, its first dimension the batch) as an ONNX model with that batch size, or
    with a free one for ``batch=None``. ``model`` itself is left as it was."""
    graph = _convert(_folded(model, batch or 1))
    if batch is None:
        twice = _convert(_folded(model, 2))
        if graph.node != twice.node or graph.initializer != twice.initializer:
            raise ConversionError("error.model.onnx_batch")
        graph.input[0].type.tensor_type.shape.dim[0].dim_param = BATCH
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="pose_demo",
    )


def onnx_model(folder: ModelFolder, batch: int | None, cache: str | None = None) -> str | bytes:
    """What ONNX Runtime is to read for ``folder``: its own .onnx file, or its model converted (the file
    kept in ``cache`` from an earlier start, named by the sha256 of the model's files)."""
    if folder.format == "onnx":
        return str(folder.model_file)
    digest = hashlib.sha256()
    for file in (folder.model_file, folder.weights_file):
        if file is not None:
            digest.update(file.read_bytes())
    kept = Path(cache) / f"{digest.hexdigest()[:32]}-batch{batch or 'any'}-v{VERSION}.onnx" if cache else None
    if kept is not None and kept.is_file():
        return str(kept)
    data = to_onnx(ov.Core().read_model(str(folder.model_file)), batch).SerializeToString()
    if kept is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs the conversion again
            handle, partial = tempfile.mkstemp(suffix=".partial", dir=kept.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(partial, 0o644)  # mkstemp's 0600 would keep it from other users of the cache
            os.replace(partial, kept)
    return data


def _folded(model: ov.Model, batch: int) -> ov.Model:
    folded = model.clone()
    first = folded.inputs[0]
    shape = first.partial_shape
    shape[0] = batch
    folded.reshape({first: shape})
    manager = Manager()
    manager.register_pass(ConstantFolding())
    manager.run_passes(folded)
    return folded


@dataclass
class _Graph:
    """The ONNX graph being written: a tensor name for each op output, constants added when first used."""

    index: dict[ov.Node, int]
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    written: set[str] = field(default_factory=set)

    def tensor(self, node: ov.Node, port: int = 0) -> str:
        if node.get_type_name() == "Parameter":
            return node.get_output_tensor(0).get_any_name()
        name = f"{node.get_type_name()}_{self.index[node]}:{port}"
        if node.get_type_name() == "Constant" and name not in self.written:
            self.initializers.append(numpy_helper.from_array(np.array(node.get_data()), name))
            self.written.add(name)
        return name

    def input(self, node: ov.Node, i: int) -> str:
        return self.tensor(node.input_value(i).get_node(), node.input_value(i).get_index())

    def constant(self, node: ov.Node, purpose: str, value: np.ndarray) -> str:
        """A new constant made for ``node`` (e.g. its axes as int64)."""
        name = f"{self.tensor(node)}/{purpose}"
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def add(self, op_type: str, node: ov.Node, inputs: Sequence[str], **attributes: Any) -> None:
        outputs = [self.tensor(node, port) for port in range(node.get_output_size())]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=outputs[0], **attributes))


def _convert(model: ov.Model) -> onnx.GraphProto:
    ops = model.get_ordered_ops()
    graph = _Graph({node: i for i, node in enumerate(ops)})
    for node in ops:
        kind = node.get_type_name()
        if kind in ("Constant", "Parameter", "Result"):
            continue  # constants are written where used, the others below
        if kind not in _OPS:
            raise _unsupported(node)
        _OPS[kind](graph, node)
    inputs = [
        helper.make_tensor_value_info(graph.tensor(p), _onnx_type(p.get_element_type()), list(p.shape))
        for p in model.get_parameters()
    ]
    outputs = []
    for result in model.outputs:
        name, producer = result.any_name, result.get_node()  # the Result node
        graph.nodes.append(helper.make_node("Identity", [graph.input(producer, 0)], [name], name=name))
        outputs.append(helper.make_tensor_value_info(name, _onnx_type(result.get_element_type()), None))
    return helper.make_graph(graph.nodes, "pose_demo", inputs, outputs, graph.initializers)


def _onnx_type(element_type: ov.Type) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(element_type.to_dtype()))


def _unsupported(node: ov.Node, what: str = "") -> ConversionError:
    return ConversionError(
        "error.model.onnx_op", op=f"{node.get_type_name()}{what}", node=node.get_friendly_name()
    )


def _value(node: ov.Node, i: int) -> np.ndarray:
    """Input ``i`` of ``node``, which must be a constant once folded."""
    source = node.input_value(i).get_node()
    if source.get_type_name() != "Constant":
        raise _unsupported(node, f" (input {i} computed, not constant)")
    return np.array(source.get_data())


def _int64(graph: _Graph, node: ov.Node, i: int) -> str:
    """Input ``i`` (axes, a shape) as an int64 vector: ONNX wants that where OpenVINO also takes others."""
    return graph.constant(node, f"in{i}", _value(node, i).astype(np.int64).reshape(-1))


# OpenVINO ops that are the ONNX op of another name, same inputs, no attributes.
_SAME = {
    "Add": "Add",
    "Subtract": "Sub",
    "Multiply": "Mul",
    "Relu": "Relu",
    "Sigmoid": "Sigmoid",
    "HSwish": "HardSwish",
    "Sqrt": "Sqrt",
}


def _same(graph: _Graph, node: ov.Node) -> None:
    if node.get_attributes().get("auto_broadcast", "numpy") not in ("numpy", "none"):
        raise _unsupported(node, f" (auto_broadcast {node.get_attributes()['auto_broadcast']})")
    inputs = [graph.input(node, i) for i in range(node.get_input_size())]
    graph.add(_SAME[node.get_type_name()], node, inputs)


def _convolution(graph: _Graph, node: ov.Node) -> None:
    """Convolution, and GroupConvolution, whose weights [groups, out, in, kh, kw] ONNX wants as
    [groups * out, in, kh, kw] with a group count."""
    a = node.get_attributes()
    if a["auto_pad"] != "explicit":
        raise _unsupported(node, f" (auto_pad {a['auto_pad']})")
    if node.get_type_name() == "GroupConvolution":
        grouped = _value(node, 1)
        groups = grouped.shape[0]
        weights = graph.constant(node, "weights", grouped.reshape(-1, *grouped.shape[2:]))
    else:
        weights, groups = graph.input(node, 1), 1
    graph.add(
        "Conv",
        node,
        [graph.input(node, 0), weights],
        strides=a["strides"],
        dilations=a["dilations"],
        pads=a["pads_begin"] + a["pads_end"],
        group=groups,
    )


def _reshape(graph: _Graph, node: ov.Node) -> None:
    # OpenVINO's special_zero: 0 copies the input's dimension, as ONNX's 0 does unless allowzero
    allowzero = 0 if node.get_attributes()["special_zero"] else 1
    graph.add("Reshape", node, [graph.input(node, 0), _int64(graph, node, 1)], allowzero=allowzero)


def _transpose(graph: _Graph, node: ov.Node) -> None:
    graph.add("Transpose", node, [graph.input(node, 0)], perm=_value(node, 1).tolist())


def _concat(graph: _Graph, node: ov.Node) -> None:
    inputs = [graph.input(node, i) for i in range(node.get_input_size())]
    graph.add("Concat", node, inputs, axis=node.get_attributes()["axis"])


def _split(graph: _Graph, node: ov.Node) -> None:
    # OpenVINO splits into equal parts; so does ONNX with num_outputs when the size divides
    axis = int(_value(node, 1))
    count = node.get_attributes()["num_splits"]
    graph.add("Split", node, [graph.input(node, 0)], axis=axis, num_outputs=count)


def _softmax(graph: _Graph, node: ov.Node) -> None:
    graph.add("Softmax", node, [graph.input(node, 0)], axis=node.get_attributes()["axis"])


def _hard_sigmoid(graph: _Graph, node: ov.Node) -> None:
    alpha, beta = float(_value(node, 1)), float(_value(node, 2))
    graph.add("HardSigmoid", node, [graph.input(node, 0)], alpha=alpha, beta=beta)


def _reduce_mean(graph: _Graph, node: ov.Node) -> None:
    keepdims = int(node.get_attributes()["keep_dims"])
    graph.add("ReduceMean", node, [graph.input(node, 0), _int64(graph, node, 1)], keepdims=keepdims)


def _matmul(graph: _Graph, node: ov.Node) -> None:
    a = node.get_attributes()
    if a["transpose_a"] or a["transpose_b"]:
        raise _unsupported(node, " (transposed)")
    graph.add("MatMul", node, [graph.input(node, 0), graph.input(node, 1)])


def _squeeze(graph: _Graph, node: ov.Node) -> None:
    """Squeeze and Unsqueeze (their axes an input in both)."""
    inputs = [graph.input(node, 0)]
    if node.get_input_size() > 1:
        inputs.append(_int64(graph, node, 1))
    graph.add(node.get_type_name(), node, inputs)


def _top_k(graph: _Graph, node: ov.Node) -> None:
    a = node.get_attributes()
    k = int(_value(node, 1))
    if a["index_element_type"] != "i64" or (a["sort"] != "value" and k != 1):
        raise _unsupported(node, f" (sort {a['sort']}, indices {a['index_element_type']})")
    inputs = [graph.input(node, 0), graph.constant(node, "k", np.array([k], np.int64))]
    graph.add("TopK", node, inputs, axis=a["axis"], largest=int(a["mode"] == "max"), sorted=1)


def _broadcast(graph: _Graph, node: ov.Node) -> None:
    # ONNX's Expand broadcasts both ways, as "bidirectional" does; for "numpy" the result is the same
    mode = node.get_attributes()["mode"]
    if mode not in ("numpy", "bidirectional"):
        raise _unsupported(node, f" (mode {mode})")
    graph.add("Expand", node, [graph.input(node, 0), _int64(graph, node, 1)])


# Interpolate's modes that ONNX's Resize has under another name
_RESIZE_MODES = {"nearest": "nearest", "linear_onnx": "linear"}


def _interpolate(graph: _Graph, node: ov.Node) -> None:
    """Interpolate (opset 4: data, sizes, scales[, axes]) as Resize on the axes that change size."""
    a, version = node.get_attributes(), node.get_type_info().version_id
    mode = _RESIZE_MODES.get(a["mode"])
    if version != "opset4" or mode is None or a["antialias"] or any(a["pads_begin"] + a["pads_end"]):
        raise _unsupported(node, f" ({version}, mode {a['mode']}, antialias or pads)")
    by_scales = a["shape_calculation_mode"] == "scales"
    values = _value(node, 2 if by_scales else 1).tolist()
    size = node.get_input_shape(0)
    axes = _value(node, 3).tolist() if node.get_input_size() > 3 else range(len(size))
    given = {axis % len(size): value for axis, value in zip(axes, values, strict=True)}
    changed = [axis for axis, value in given.items() if value != (1 if by_scales else size[axis])]
    rounding = {}
    if mode == "nearest":  # OpenVINO's "simple" truncates when upsampling: floor on these coordinates
        upsampling = by_scales and all(given[axis] > 1 for axis in changed)
        if a["nearest_mode"] == "simple" and not upsampling:
            raise _unsupported(node, " (nearest_mode simple, not upsampling)")
        rounding["nearest_mode"] = "floor" if a["nearest_mode"] == "simple" else a["nearest_mode"]
    data = graph.input(node, 0)
    if not changed:
        graph.add("Identity", node, [data])
        return
    target = [given[axis] for axis in changed]
    if by_scales:  # Resize's inputs: X, roi, scales, sizes ("" for none)
        inputs = [data, "", graph.constant(node, "scales", np.array(target, np.float32))]
    else:
        inputs = [data, "", "", graph.constant(node, "sizes", np.array(target, np.int64))]
    graph.add(
        "Resize",
        node,
        inputs,
        axes=changed,
        mode=mode,
        coordinate_transformation_mode=a["coordinate_transformation_mode"],
        **rounding,
    )


_OPS: dict[str, Callable[[_Graph, ov.Node], None]] = {
    **dict.fromkeys(_SAME, _same),
    "Convolution": _convolution,
    "GroupConvolution": _convolution,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Concat": _concat,
    "Split": _split,
    "Softmax": _softmax,
    "HardSigmoid": _hard_sigmoid,
    "ReduceMean": _reduce_mean,
    "MatMul": _matmul,
    "Squeeze": _squeeze,
    "Unsqueeze": _squeeze,
    "TopK": _top_k,
    "Broadcast": _broadcast,
    "Interpolate": _interpolate,
}
