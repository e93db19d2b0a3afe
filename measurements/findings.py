"""What each study finds, typed: the findings a study's ``run`` returns and its results file keeps
(``results.StudyFile``), one ``TypedDict`` per study, and the reports its children send back.

A finding's fields are those ``study.schema.json`` describes for its study: the fields the schema
requires are required here, and the others (fields a study writes beyond the schema's, or that
older files lack) are ``NotRequired``. The measurements write findings through these types and the
generator reads them through them; neither needs the other's code.

A study measured in several fresh processes (``Study.processes``) has its findings merged by id
(``studies.runner.merge_findings``): each merged finding carries the fields of ``Merged``, and its
sample lists are kept one per process under ``<key>_per_process`` instead of ``<key>``.
"""

# No ``from __future__ import annotations`` here: Python 3.11 tells a NotRequired field from a required
# one (``__required_keys__``) only in evaluated annotations, and tests/test_findings.py compares each
# finding's required fields with study.schema.json's.
from typing import NotRequired, TypedDict

from measurements.results import Finding

Number = int | float
Free = dict[str, object]  # what a tool or a library reports of itself, kept as it is and shown, never read


class Merged(TypedDict, total=False):
    """What merging several processes' findings adds (``studies.runner.merge_findings``)."""

    fresh_processes: int
    per_process: dict[str, list[Number]]  # a number that differs between processes: each process's value
    outcome_per_process: list[str]
    samples_per_process: list[list[float]]
    latency_samples_per_process: list[list[float]]


# ---- usability ---------------------------------------------------------------------------------


class CodeFile(TypedDict):
    path: str  # under the repository
    lines: int
    tokens: int
    sha256: str


class CodeSizeFinding(Finding):
    """One workload's implementation in one framework (``studies.codesize``)."""

    lines: int
    tokens: int
    files: list[CodeFile]


class ErrorFinding(Finding):
    """One common mistake and what the framework told the user (``studies.errors``)."""

    title: str
    mistake: str
    applicable: NotRequired[bool]  # False: the mistake could not be tried on this machine
    silent: bool | None  # no exception raised (None: not tried)
    error_type: str | None
    message: str | None
    message_chars: int
    user_frame_last: bool | None
    names_shapes: bool | None  # None: shapes are not the mistake
    names_dtypes: bool | None
    what_happened: NotRequired[str | None]
    snippet: str
    snippet_lines: NotRequired[int]
    exit_code: NotRequired[int]
    warnings: NotRequired[list[str]]


class OwnBreakpoint(TypedDict, total=False):
    """The framework's own breakpoint for compiled code, tried beside pdb, where it has one
    (``studies.debugging``)."""

    own_breakpoint: str
    own_breakpoint_works: bool
    own_breakpoint_observed: str
    own_breakpoint_evidence: str


class DebuggingFinding(Finding, OwnBreakpoint):
    """One debugging aid tried (``studies.debugging``); each aid records its own evidence beside
    ``works`` and ``observed``."""

    title: str
    works: bool
    observed: str
    evidence: NotRequired[str]
    error: NotRequired[str | None]
    prints: NotRequired[int]  # print() in a compiled function
    stops: NotRequired[int]  # a pdb breakpoint in forward
    stops_in_forward: NotRequired[int]
    shapes_shown: NotRequired[list[str]]
    types_shown: NotRequired[list[str]]
    names_op: NotRequired[bool]  # anomaly detection
    points_to_user_line: NotRequired[bool]
    switch: NotRequired[str]  # running compiled code eagerly
    prints_compiled: NotRequired[int]
    prints_eager: NotRequired[int]
    bitwise_equal: NotRequired[bool]
    max_abs_difference: NotRequired[float | None]


class PythonWarning(TypedDict):
    category: str
    message: str
    source: str


class LogLine(TypedDict):
    level: str
    message: str
    source: str


class Noise(TypedDict):
    """What a process wrote to stderr, sorted (``studies.noise.sort_lines``)."""

    python_warnings: list[PythonWarning]
    log_lines: list[LogLine]


class NoiseFinding(Finding, Noise):
    """One workflow's warnings and log lines (``studies.noise``)."""

    workload: NotRequired[str]
    mode: NotRequired[str]
    exit_code: NotRequired[int | None]


# ---- ecosystem ---------------------------------------------------------------------------------


class PipSources(TypedDict):
    cached: int
    local_files: int
    downloaded: int


class InstallFinding(Finding):
    """The framework installed into a fresh virtual environment (``studies.install``)."""

    requirement: str
    command: NotRequired[str]
    pip_version: NotRequired[str | None]
    pip_sources: NotRequired[PipSources]
    install_s: float
    installed_bytes: int
    distributions: int
    names: list[str]
    import_cold_s: float
    import_warm_s: float
    import_warm_samples: NotRequired[list[float]]


class OutputParity(TypedDict):
    """An artifact's outputs against the NumPy float64 reference (``studies.export.compare``)."""

    max_abs_diff: float | None
    parity_passed: bool
    parity_error: NotRequired[str]


class ConcreteTflite(OutputParity):
    """TensorFlow Lite converted from a concrete function, the lower-level route (``studies.export``)."""

    bytes: int


# What a converter or loader notes of how it made or ran an artifact (``studies.export``); a key is
# no Python name, hence this form
ExportNotes = TypedDict(
    "ExportNotes",
    {
        "api": str,
        "exporter": str,
        "opset": int | None,
        "optimizations": str,
        "converter": str,
        "tf_ops": list[str],
        "platforms": list[str],
        "calling_convention_version": int,
        "stablehlo_text_chars": int,
        "stablehlo_bytecode_bytes": int,
        "from_concrete_functions": ConcreteTflite,
        "tf.lite.Interpreter": str,  # what TensorFlow's own interpreter warns of itself
    },
    total=False,
)


class Served(TypedDict, total=False):
    """What an export study's serve process reports of the artifact it ran (``studies.export.serve``)."""

    runtime: str
    load_s: float
    first_call_ms: float
    max_abs_diff: float | None
    parity_passed: bool
    parity_error: str
    latency_ms: float
    latency_samples: list[float]


class StepReport(Served, total=False):
    """What an export or serving step process reports: whether its step worked, at which stage it
    failed and why, and what the step found (``studies.export.main``)."""

    ok: bool
    stage: str | None
    error: str | None
    in_progress: bool
    warnings: list[str]
    convert_s: float
    artifact_bytes: int
    notes: ExportNotes


class ExportFinding(Finding):
    """One export path for one model (``studies.export``)."""

    path: str
    model: str
    success: bool
    stage: str | None  # where it failed (``export.STAGES``)
    error: str | None
    convert_s: float | None
    artifact_bytes: int | None
    max_abs_diff: float | None
    parity_passed: bool | None
    latency_ms: float | None
    latency_samples: NotRequired[list[float]]
    runtime: str | None
    tool_versions: NotRequired[dict[str, str | None]]
    notes: ExportNotes
    warnings: list[str]
    parity_error: NotRequired[str]
    load_s: NotRequired[float]
    first_call_ms: NotRequired[float]


# ---- performance -------------------------------------------------------------------------------


class MemoryReport(TypedDict, total=False):
    """What a memory-study child reports: its memory after import and peak, its latency (inference),
    and what saving and loading a model made (``studies.memory``)."""

    after_import_rss_bytes: int | None
    peak_rss_bytes: int | None
    latency_ms: float | None
    latency_samples: list[float]
    saved_with: str | None
    artifact_bytes: int | None
    load_s: float | None
    runtime: str | None
    max_abs_diff: float | None


class MemoryFinding(Finding, Merged):
    """One size (task, width, batch) of the memory study (``studies.memory``)."""

    task: str  # train, infer or saved
    width: int
    batch: int
    mode: NotRequired[str]
    parameters: NotRequired[int]
    parameter_bytes: int
    outcome: str
    error: NotRequired[str | None]
    after_import_rss_bytes: int | None
    peak_rss_bytes: int | None
    latency_ms: NotRequired[float | None]
    latency_samples: NotRequired[list[float] | None]
    path: NotRequired[str]
    saved_with: NotRequired[str | None]
    artifact_bytes: NotRequired[int | None]
    load_s: NotRequired[float | None]
    runtime: NotRequired[str | None]
    max_abs_diff: NotRequired[float | None]


class DecodeCheck(TypedDict, total=False):
    """The first images as a pipeline decoded them against Pillow's decoding (``studies.pipeline``)."""

    images: int | None
    max_abs_diff: float | None
    labels_match: bool
    accurate_dct_max_abs_diff: float | None


class PipelinePrepared(TypedDict, total=False):
    """What preparing a data set once for a framework made (TensorFlow: TFRecord shards)."""

    shards: int
    records_bytes: int
    source_sha256: str
    prepare_s: float | None
    same_content: bool | None


class PipelineMeasured(TypedDict, total=False):
    """What a pipeline child measured of one configuration, and how its framework's part set it up
    (``studies.pipeline.measure_one``)."""

    after_import_pss_bytes: int | None
    threads: int
    framework_threads: int | None
    interop_threads: int | None
    prepare_s: float | None
    read_sha256: str
    build_s: float
    workers: int | None
    worker_threads: int | None
    shuffle_buffer: int | None
    cache: bool
    tf_data_private_threadpool_size: int | None
    tf_data_max_intra_op_parallelism: int | None
    tf_data_autotune: int
    grain: str
    grain_read_threads: int
    grain_prefetch_buffer: int
    grain_worker_buffer: int | None
    left_over_batches: int
    epochs: int | None
    chunk_batches: int
    epoch_s: list[float]
    epoch_samples_per_s: list[float]
    first_epoch_samples_per_s: float | None
    second_epoch_samples_per_s: float | None
    samples: list[float] | None
    chunk_samples_per_s: list[float]
    cpu_ms_per_sample: float | None
    decode_check: DecodeCheck | None


class PipelineReport(PipelineMeasured, PipelinePrepared, total=False):
    """What a pipeline child reports: a configuration measured, or a data set prepared."""


class PipelineFinding(Finding, PipelineReport, Merged):
    """One configuration at one size of the data-pipeline study (``studies.pipeline``)."""

    config: str
    title: NotRequired[str | None]
    images: int
    batch_size: NotRequired[int]
    outcome: str
    error: NotRequired[str | None]
    dataset_bytes: NotRequired[int | None]
    decoded_bytes: int
    dataset_sha256: NotRequired[str]
    generate_s: NotRequired[float]
    peak_pss_bytes: NotRequired[int | None]
    load_1m_before: NotRequired[float]
    peak_processes: NotRequired[int]
    wall_s: NotRequired[float]
    other_cpu_s: NotRequired[float | None]
    other_cpu_share: NotRequired[float | None]


class LimitedLaunch(TypedDict):
    """One fresh process of the data-pipeline study under a memory limit (``studies.pipeline_limit``)."""

    outcome: str
    error: str | None
    wall_s: NotRequired[float]
    epoch_s: NotRequired[list[float] | None]
    epoch_samples_per_s: NotRequired[list[float] | None]
    peak_charged_bytes: NotRequired[int | None]
    peak_pss_bytes: NotRequired[int | None]
    oom_kills: NotRequired[int | None]
    report: NotRequired[PipelineReport]  # what its child reported, dropped once summed up
    first_epoch_samples_per_s: NotRequired[float]


class LimitedFinding(PipelineFinding):
    """One configuration of the data-pipeline study under a memory limit (``studies.pipeline_limit``):
    a data-pipeline finding (the pages read both alike) with its launches, each a fresh process, and
    how many completed. Its samples are one steady epoch's per completed launch (``samples_per_process``)."""

    limit_bytes: int
    launches: list[LimitedLaunch]
    completed: int
    peak_charged_bytes: NotRequired[int | None]


class DistributedParity(TypedDict):
    """Rank 0's weights after the parity steps against a single process's (``studies.distributed``)."""

    reference: str | None
    steps: int
    tolerance: float
    max_abs_diff: float | None
    ranks_max_abs_diff: float | None
    passed: bool | None


class Efficiency(TypedDict):
    """The distributed study's scaling efficiency (``results.scaling_efficiency``): the data-parallel
    run's throughput over the best single process's, and over linear scaling from one worker alone."""

    parallel: str
    single: str
    one: str | None
    workers: int
    vs_single: float | None
    vs_linear: float | None


class RankMeasured(TypedDict, total=False):
    """What one rank of a distributed run measured (``studies.distributed.worker``)."""

    details: Free  # what the set-up chose (backend, addresses, threads...)
    first_step_at: float
    samples: list[float]
    steps_per_sample: int
    warmup_steps: int
    parity_losses: list[float]
    cpu_busy: float  # CPU seconds per wall second while timing
    process_threads: int | None
    setup_s: float
    setup: dict[str, float]  # where the set-up time went


class RankReport(RankMeasured):
    """What one rank of a distributed run reports (``studies.distributed.worker``)."""

    rank: int
    processes: int
    status: str
    error: str | None


class DistributedFinding(Finding, Merged, total=False):
    """One configuration of the distributed study, or (id ``scaling``) its scaling from one process to
    several (``studies.distributed``)."""

    title: str
    processes: int
    threads_per_process: int
    global_batch: int
    outcome: str
    error: str | None
    setup_s: float | None
    setup: dict[str, float] | None
    samples: list[float]
    median: float | None
    steps_per_sample: int | None
    warmup_steps: int | None
    cpu_busy: list[float | None]  # per process
    process_threads: list[int | None]
    details: Free | None
    wall_s: float
    load_1m_before: float
    parity: DistributedParity | None
    medians: dict[str, float | None]  # the scaling finding: each configuration's median
    efficiency: Efficiency


class ServingFinding(Finding, Merged):
    """One deploy path of the serving study (``studies.serving``): latency one request at a time,
    throughput at the server batch, and requests from 1, 4 and 16 client threads."""

    path: str
    model: str
    server_batch: int
    outcome: str
    error: str | None
    runtime: str | None
    max_abs_diff: float | None
    parity_passed: bool | None
    latency_samples: NotRequired[list[float]]
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    samples: NotRequired[list[float]]
    clients1_requests_per_s: float | None
    clients1_p50_ms: float | None
    clients1_p99_ms: float | None
    clients4_requests_per_s: float | None
    clients4_p50_ms: float | None
    clients4_p99_ms: float | None
    clients16_requests_per_s: float | None
    clients16_p50_ms: float | None
    clients16_p99_ms: float | None
    one_client_from: NotRequired[str]  # serving.ONE_CLIENT_FROM; absent: one client sent from a client thread


class Kernel(TypedDict):
    primitive: str
    implementation: str


class XlaOps(TypedDict):
    """What XLA compiled a computation into (``studies.libraries.xla_ops``)."""

    custom_calls: list[str]
    fusion_kinds: list[str]
    custom_fusions: list[str]
    operations: list[str]


class Probed(TypedDict, total=False):
    """What the libraries study's child found of its framework's build and libraries."""

    blas: str | None
    mkldnn: bool
    build: list[str]
    xla: dict[str, XlaOps]
    compiled: list[XlaOps]  # JAX: read off for ``blas``, then dropped
    threadpools: list[Free]  # threadpoolctl's report of each library


class LibrariesFinding(Finding, Probed, total=False):
    """Which libraries and kernels ran a framework's matrix multiply and convolution (``studies.libraries``)."""

    kernels: list[Kernel]
    mkl_code_path: str | None
    mkl_sgemm: bool


class PeakFinding(Finding, total=False):
    """The CPU's peak float32 rate and what it rests on (``studies.libraries.peak``); ``why`` where unknown."""

    cores: int
    vendor: str | None
    gflops: float | None
    microarchitecture: str | None
    source: str | None
    family: int
    model: int
    clock_ghz: float
    vector_bits: int
    fma: bool
    fma_units: int
    fma_bits: int
    flops_per_cycle: int
    why: str


# ---- what a study's child reports ----------------------------------------------------------------

Found = dict[str, object]  # a finding of any study, as JSON gives it: what the runner merges by key


class StudyReport(TypedDict):
    """What a study's child reports (``studies.child``), or the runner records for a child that could
    not: its status, its error, and its findings (``runner.report_schema`` checks them)."""

    status: str
    error: str | None
    findings: NotRequired[list[Found]]
