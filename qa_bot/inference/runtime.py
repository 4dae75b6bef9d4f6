"""Thread settings for CPU inference, and ONNX Runtime sessions made with them.

OpenMP (torch) and ONNX Runtime threads busy-wait for work by default. On a machine where another
process holds a core, that spinning made 2-thread inference about four times slower here, so
``OMP_WAIT_POLICY=PASSIVE`` is set (unless the user set it) before any inference library loads,
and ONNX Runtime sessions are made with spinning off.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The most intra-op threads one model uses: more did not help on small batches.
MAX_THREADS = 4


def passive_threads() -> None:
    """Make OpenMP threads sleep instead of spin while they wait, unless the user chose a policy.

    Effective only before the OpenMP runtime loads (``import torch``): ``qa_bot`` calls it on import.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def inference_threads(requested: int | None = None) -> int:
    """Intra-op threads for one model: ``requested``, else the CPUs this process may use (at most 4)."""
    if requested is not None:
        return max(1, requested)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cpus))


def onnx_session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session for the model file ``path``, threads sleeping when idle.

    Raises:
        onnxruntime's errors when the file is not a loadable model (callers turn them into messages).
    """
    passive_threads()
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = inference_threads(threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's business
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
