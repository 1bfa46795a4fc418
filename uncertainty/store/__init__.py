"""The results store: ``<out>/store.zarr`` (xarray on Zarr), ``manifest.json``, ``failures.jsonl``.

One package that every reader and writer uses (the engine, the analysis, the figures, the CLI
and :mod:`uncertainty.testing`): :mod:`.format` holds the vocabulary (file names, status codes,
reserved names, what an output is), :mod:`.core` creates, writes, grows and reads stores.
The store depends on no runner. Layout: ``docs/store.md``.
"""

from uncertainty.store.core import (
    add_outputs,
    chunk_size,
    create,
    create_store,
    finalize_failures,
    open_results,
    read_arrays,
    read_failures,
    read_inputs,
    read_manifest,
    read_schemas,
    remove_store,
    status_counts,
    store_exists,
    write_batch,
    write_manifest,
)
from uncertainty.store.format import (
    BOOKKEEPING,
    COMPLETE_CHUNKS,
    FAILURES,
    MANIFEST,
    OUTPUT_ATTRS,
    RESERVED,
    STATUS_MEANINGS,
    STORE,
    Output,
    OutputSchema,
    Status,
    status_name,
)
from uncertainty.store.grow import design_attrs, grow_store
from uncertainty.store.starts import ANCHOR_STARTS, read_anchor_starts, write_anchor_start

__all__ = [
    "ANCHOR_STARTS",
    "COMPLETE_CHUNKS",
    "BOOKKEEPING",
    "FAILURES",
    "MANIFEST",
    "OUTPUT_ATTRS",
    "Output",
    "OutputSchema",
    "RESERVED",
    "STATUS_MEANINGS",
    "STORE",
    "Status",
    "add_outputs",
    "chunk_size",
    "create",
    "create_store",
    "design_attrs",
    "finalize_failures",
    "grow_store",
    "open_results",
    "read_anchor_starts",
    "read_arrays",
    "read_failures",
    "read_inputs",
    "read_manifest",
    "read_schemas",
    "remove_store",
    "status_counts",
    "status_name",
    "store_exists",
    "write_anchor_start",
    "write_batch",
    "write_manifest",
]
