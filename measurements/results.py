"""The results model: the one owner of the results format.

Typed records for a timing result (``Result``: a ``RunRecord`` measured in ``Round`` s, one fresh
process each, with its ``Measurement`` s) and for a study result (``StudyFile`` and its
``Finding`` s); where they are written (``result_path``, ``study_path``), how they are written
(``record``, ``add_round``, ``write_json_atomic``), and how they are read back: parsed without
trusting the file (``read_json``), migrated from older versions (``MIGRATIONS``) and checked
against their JSON schemas (``check_document``, ``check_study``). The harness writes with it and
the generator reads with it.

A round keeps its own process's readings from writing to reading: nothing is pooled over the
rounds and split again.
"""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import re
import stat
import statistics
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, cast, final

from measurements import catalog
from measurements.frameworks import REGISTRY

if TYPE_CHECKING:
    import jsonschema

    from measurements.findings import Efficiency
    from measurements.workloads import Sizes  # for the type only: reading results imports no workload code

SCHEMA_VERSION = 3
SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
V2_SCHEMA_PATH = Path(__file__).with_name("result.v2.schema.json")  # frozen: version 2 files are checked against it
STUDY_SCHEMA_VERSION = 2
SAMPLE_LISTS = ("samples", "latency_samples")  # a finding's lists of readings, one per sample
STUDY_SCHEMA_PATH = Path(__file__).with_name("study.schema.json")
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"
PLANNED_PATH = ROOT / "data" / "planned.json"  # what the specs plan (``measurements.planned`` writes it)
SIZE_FREE = ("batch_size", "task", "distinct")  # case parameters that do not change the model's size
MAX_FILE_BYTES = 10 * 2**20  # a result is a few kB; anything this big is not one
MAX_DEPTH = 32  # a result nests 7 deep; the checks recurse, so far deeper input is refused unread
REMEASURE = "fix or delete it, or re-measure with `nox -s measure`"
MACHINE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # as the results schema's machine.id
MAX_MACHINE_ID = 100
# names the site and the results folder use for themselves: a machine of that name would replace
# the Machines page (machines/index.md), or its folder would be read as a machine's studies folder
RESERVED_IDS = frozenset({"index", "studies"})


# ---- the records ------------------------------------------------------------------------------


class Gpu(TypedDict):
    name: str
    driver: str
    memory_bytes: int


class Machine(TypedDict):
    id: str
    cpu_model: str
    cpu_count: int
    cpus_available: int
    memory_bytes: int | None
    gpus: list[Gpu]
    os: str
    arch: str


class FrameworkBuild(TypedDict):
    name: str
    version: str | None
    build: dict[str, object]  # what the framework reports of its build: CUDA, oneDNN, ...


class Software(TypedDict):
    python: str
    numpy: str
    framework: FrameworkBuild


class Settings(TypedDict):
    threads: int
    env: dict[str, str]
    compile_cache: NotRequired[str]


class Outcome(TypedDict):
    status: str  # ok, failed, crashed, timeout, oom, unavailable
    error: str | None
    exit_code: int | None


class RunRecord(TypedDict):
    """What was measured, and how to measure it again."""

    workload: str
    framework: str
    mode: str
    device: str
    profile: str
    started_at: str  # the first round's start
    wall_s: float  # every round's, together
    command: NotRequired[str]
    rounds_planned: NotRequired[int]  # the processes its profile plans (fewer: cut short)
    # "aa": an A/A control, the same workload, framework and mode measured again beside the run of its
    # own, interleaved as if it were another framework: the noise floor, never in a verdict
    control: NotRequired[str]
    looks: NotRequired[list[int]]  # the process counts at which the harness decides whether to add rounds


class ParityCheck(TypedDict):
    what: str
    max_abs_diff: float | None
    max_rel_diff: NotRequired[float | None]
    rtol: float
    atol: float
    passed: bool
    informational: NotRequired[bool]


class Parity(TypedDict):
    reference: str
    max_abs_diff: float | None
    rtol: float
    atol: float
    passed: bool
    checks: NotRequired[list[ParityCheck]]


class Measurement(TypedDict):
    """What one case measures, the same in every round, and its parity over the rounds (passed
    where every round's passed; the largest difference any round found)."""

    metric: str
    unit: str
    case: str
    params: Sizes  # the case's sizes, as its workload's spec writes them (its own extension of Sizes)
    flops_per_unit: float
    parity: Parity


class CurvePoint(TypedDict):
    epoch: int
    accuracy: float
    train_s: float


class Reading(TypedDict):
    """One case's readings in one round (one process)."""

    samples: list[float]
    steps_per_sample: int
    warmup_steps: int
    first_call_s: float
    warmup_s: NotRequired[float]
    warmup_steady: NotRequired[bool]
    prepare_s: NotRequired[float]
    device_peak_bytes: NotRequired[int | None]
    curve: NotRequired[list[CurvePoint]]  # accuracy runs: after each epoch
    time_to_target_s: NotRequired[float | None]  # accuracy runs: None where it never reached the target
    # the canary's speed (GFLOP/s, ``measurements.canary``) timed just before each block of samples:
    # one per sample, or per ``samples_per_canary`` latency calls
    canary: NotRequired[list[float]]
    samples_per_canary: NotRequired[int]


class Noise(TypedDict):
    """What the machine was doing during one process (``measurements.canary``)."""

    steal: float | None  # share of its CPUs' ticks stolen by the hypervisor over its life; None: unreadable
    affinity: list[int]  # the CPUs it may run on
    cpus_seen: list[int]  # the CPUs its threads were seen on, beside each block of samples
    clock_mhz: list[float] | None  # the lowest and highest clock read then; None where none is visible
    canary_s: float  # seconds the canary took, outside every timed sample
    canary_share: float  # canary_s ÷ the process's life


# what a round's peak memory counts: from each case's parity check on (its float64 copies left
# out; the worker resets the high-water mark there), or, where that cannot be reset, the whole process
PeakFrom = Literal["after parity", "process start"]
# where a round's import time stops: once the framework's first operation has finished (its backend
# and the libraries it starts on first use included); absent, it timed ``import`` alone
ImportUntil = Literal["first operation"]


class Round(TypedDict):
    """One fresh process: its own readings, one per measurement of the run, in its order. Its ``id``
    names the round of the measurement it ran in, shared by every run of its case measured in that
    round (results written before rounds had ids have none: measured apart)."""

    id: NotRequired[str]  # "<measurement>:<round>", e.g. "20261208T001500Z-3fa2c1:2"
    started_at: NotRequired[str]  # this process's start
    wall_s: NotRequired[float]  # this process's, start to end
    import_s: float | None
    import_until: NotRequired[ImportUntil]  # absent in results that timed ``import`` alone
    peak_rss_bytes: int | None
    after_import_rss_bytes: int | None
    peak_rss_from: NotRequired[PeakFrom]  # absent in results measured before the peak left parity out
    measurements: list[Reading]
    noise: NotRequired[Noise]  # recorded since the canary; older rounds lack it


@final
class Result(TypedDict):
    """One results file: one run on one machine, in rounds."""

    schema_version: int
    run: RunRecord
    machine: Machine
    software: Software
    settings: Settings
    outcome: Outcome
    measurements: list[Measurement]
    rounds: list[Round]


class ReportedMemory(TypedDict):
    peak_rss_bytes: int | None
    after_import_rss_bytes: int | None
    peak_rss_from: NotRequired[PeakFrom]


class ReportedCase(Measurement, Reading):
    """A case as the worker reports it: what it measures and its readings in this process."""


class Measured(TypedDict):
    """What a timing child measured: its framework, its import and memory, and its cases."""

    framework: FrameworkBuild
    import_s: float | None
    import_until: NotRequired[ImportUntil]
    memory: ReportedMemory
    measurements: list[ReportedCase]
    noise: Noise


class Reported(TypedDict):
    """What a timing child reports (or the harness writes for one that could not)."""

    status: str
    error: NotRequired[str | None]
    framework: NotRequired[FrameworkBuild]
    import_s: NotRequired[float | None]
    import_until: NotRequired[ImportUntil]
    memory: NotRequired[ReportedMemory]
    measurements: NotRequired[list[ReportedCase]]
    noise: NotRequired[Noise]


class StudyRunRecord(TypedDict):
    started_at: str
    wall_s: float  # every process's, together
    command: str


class StudyFramework(TypedDict):
    name: str
    version: str | None


class StudySoftware(TypedDict):
    python: str
    framework: StudyFramework


class Finding(TypedDict):
    """One item a study studied (a mistake, a tool, an export path, a size...): its ``id`` and what
    was found, in fields of the study's own (see each study module and study.schema.json)."""

    id: str


@final
class StudyFile(TypedDict):
    """One results file of a study: one study of one framework release on one machine."""

    schema_version: int
    study: str
    framework: str
    run: StudyRunRecord
    machine: Machine
    software: StudySoftware
    outcome: Outcome
    findings: list[dict[str, object]]  # each a Finding, with the study's own fields


AnyResult = Result | StudyFile  # a timing or a study results file


class PlannedWorkload(TypedDict):
    """What a workload's spec plans: each model size's parameter count (by ``size_key``) and each
    case's floating-point operations per unit (by metric, then case name)."""

    parameters: dict[str, int]
    flops_per_unit: dict[str, dict[str, float]]


Planned = dict[str, PlannedWorkload]  # by workload


def size_key(params: Mapping[str, object]) -> str:
    """A model size as ``PlannedWorkload.parameters`` names it: a case's parameters but those that
    do not change the model's size, as sorted JSON."""
    return json.dumps({k: v for k, v in params.items() if k not in SIZE_FREE}, sort_keys=True)


@cache
def read_planned() -> Planned:
    """What every workload's spec plans, from ``data/planned.json`` (see ``measurements.planned``)."""
    found: Planned = json.loads(PLANNED_PATH.read_text())
    return found


def flops_per_unit(workload: str, measurement: Measurement) -> float:
    """A measurement's floating-point operations per unit, as the spec plans them for its case
    (``data/planned.json``), never the file's own where the spec plans the case: a results file can
    state any count, and one measured before a spec corrected its count states the old one."""
    planned = read_planned().get(workload, {"parameters": {}, "flops_per_unit": {}})["flops_per_unit"]
    return planned.get(measurement["metric"], {}).get(measurement["case"], measurement["flops_per_unit"])


# ---- where they are written ------------------------------------------------------------------


def result_path(
    results_dir: Path,
    machine_id: str,
    workload: str,
    framework: str,
    version: str | None,
    mode: str,
    device: str,
    control: str = "",
) -> Path:
    """One file per run and framework version, so that releases are kept side by side:
    ``mlp.tensorflow-2.21.0.xla.cpu.json``; a framework that is not installed has no version. An
    A/A control (``RunRecord.control``) is a file of its own beside its run's: ``...cpu.aa.json``."""
    name = f"{workload}.{release_name(framework, version)}.{mode}.{device}"
    return results_dir / machine_id / f"{name}.{control}.json" if control else results_dir / machine_id / f"{name}.json"


def expected_path(doc: Result, results_dir: Path) -> Path:
    """Where the harness writes this result under ``results_dir``."""
    run = doc["run"]
    return result_path(results_dir, doc["machine"]["id"], run["workload"], run["framework"],
                       doc["software"]["framework"]["version"], run["mode"], run["device"],
                       run.get("control", ""))  # fmt: skip


def release_name(framework: str, version: str | None) -> str:
    """``tensorflow-2.21.0``: a framework and its version, safe in a file name."""
    return f"{framework}-{re.sub(r'[^A-Za-z0-9._-]', '_', version)}" if version else framework


def study_path(results_dir: Path, machine_id: str, study: str, framework: str, version: str | None) -> Path:
    """Studies (usability, ecosystem) sit beside the timing results, one file per framework release."""
    return results_dir / machine_id / "studies" / f"{study}.{release_name(framework, version)}.json"


def run_label(doc: Result) -> str:
    """A run as ``--only`` names it: workload/framework/mode/device, and ``#aa`` for an A/A control."""
    run = doc["run"]
    key = f"{run['workload']}/{run['framework']}/{run['mode']}/{run['device']}"
    return f"{key}#{run['control']}" if run.get("control") else key


# ---- writing ---------------------------------------------------------------------------------

DESCRIBES = ("metric", "unit", "case", "params", "flops_per_unit", "parity")  # a reported case's keys of Measurement


def record(
    run: RunRecord,
    machine: Machine,
    software: Software,
    settings: Settings,
    reported: Reported,
    exit_code: int | None,
    round_id: str | None = None,
) -> Result:
    """The result of one round, from what its child reported: a run of one round, named ``round_id``
    where given (with the process's start and wall time)."""
    memory = reported.get("memory")
    cases = reported.get("measurements", [])
    describes: list[Measurement] = [
        {"metric": case["metric"], "unit": case["unit"], "case": case["case"], "params": case["params"],
         "flops_per_unit": case["flops_per_unit"], "parity": case["parity"]}
        for case in cases
    ]  # fmt: skip
    readings = [cast(Reading, {key: value for key, value in case.items() if key not in DESCRIBES}) for case in cases]
    one: Round = {
        "import_s": reported.get("import_s"),
        "peak_rss_bytes": memory["peak_rss_bytes"] if memory else None,
        "after_import_rss_bytes": memory["after_import_rss_bytes"] if memory else None,
        "measurements": readings,
    }
    if "noise" in reported:
        one["noise"] = reported["noise"]
    if "import_until" in reported:
        one["import_until"] = reported["import_until"]
    if memory and "peak_rss_from" in memory:
        one["peak_rss_from"] = memory["peak_rss_from"]
    if round_id:
        one = {"id": round_id, "started_at": run["started_at"], "wall_s": run["wall_s"], **one}
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "machine": machine,
        "software": software,
        "settings": settings,
        "outcome": {"status": reported["status"], "error": reported.get("error"), "exit_code": exit_code},
        "measurements": describes,
        "rounds": [one],
    }


def add_round(earlier: Result | None, latest: Result) -> Result:
    """The earlier rounds' result with one more round after them. A failed round fails the whole run."""
    if earlier is None or latest["outcome"]["status"] != "ok":
        return latest
    merged = copy.deepcopy(earlier)
    merged["rounds"] += latest["rounds"]
    merged["run"]["wall_s"] += latest["run"]["wall_s"]
    for kept, new in zip(merged["measurements"], latest["measurements"], strict=True):
        kept["parity"] = both_passed(kept["parity"], new["parity"])
    return merged


def only_rounds(doc: Result, ids: Iterable[str]) -> Result | None:
    """``doc`` with only its rounds named in ``ids`` (their wall time only); None where none is left.
    Its parity stays that of every round it had (passed only where all passed)."""
    keep = set(ids)
    rounds = [one for one in doc["rounds"] if one.get("id") in keep]
    if not rounds:
        return None
    kept = copy.deepcopy(doc)
    kept["rounds"] = rounds
    kept["run"]["wall_s"] = sum(one.get("wall_s", 0.0) for one in rounds)
    kept["run"]["started_at"] = rounds[0].get("started_at", doc["run"]["started_at"])
    return kept


def both_passed(kept: Parity, new: Parity) -> Parity:
    """Parity over two sets of rounds: passed where both passed; the larger difference where both have one."""
    diffs = [d for d in (kept["max_abs_diff"], new["max_abs_diff"]) if d is not None]
    return {**kept, "passed": kept["passed"] and new["passed"], "max_abs_diff": max(diffs) if len(diffs) == 2 else None}


def write_json_atomic(path: Path, data: object, *, default: Callable[[Any], object] | None = None) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file.
    The file is readable like any other the user makes (0644 under the usual umask), not 0600
    as ``mkstemp`` leaves it. ``default`` (as ``json.dump`` takes it) writes a value JSON has no
    type for; without it, such a value raises ``TypeError`` and nothing is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            os.fchmod(f.fileno(), 0o666 & ~current_umask())
            json.dump(data, f, indent=1, allow_nan=False, default=default)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read from /proc where it can be (setting it to read it is not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def machine_id_rule() -> tuple[re.Pattern[str], int]:
    """The pattern and the longest length a machine id may have: the results schema's, so that the
    harness writes no id that ``generator check`` then refuses."""
    rule = json.loads(SCHEMA_PATH.read_text())["properties"]["machine"]["properties"]["id"]
    return re.compile(rule["pattern"]), int(rule["maxLength"])


# ---- reading: untrusted bytes to a checked document --------------------------------------------


def one_line(exc: BaseException) -> str:
    """An exception as a short line: its type and its message, whitespace folded."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class DuplicateKeyError(ValueError):
    """An object names one key twice: JSON readers disagree on which value counts."""


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj: dict[str, object] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _children(value: object) -> Iterable[tuple[object, object]]:
    if isinstance(value, dict):
        return value.items()
    return enumerate(value) if isinstance(value, list) else ()


def _too_deep(value: object) -> bool:
    """Whether lists and objects nest deeper than MAX_DEPTH (counted without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for _, child in _children(item))
    return False


def _non_finite(value: object) -> Iterator[tuple[tuple[object, ...], float]]:
    """Fields holding infinity (JSON has no NaN or infinity, but 1e999 reads as infinity), in
    document order; a loop, not a recursion, so no nesting can exhaust the stack."""
    stack: list[tuple[tuple[object, ...], object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            yield path, item
        stack.extend(((*path, key), child) for key, child in reversed(list(_children(item))))


def field_name(path: Iterable[object]) -> str:
    """A field as problem lines name it: ``measurements[0].samples[2]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


LINK = "a symbolic link; not followed, put the file itself there instead"


def _read_regular(path: Path) -> bytes | str:
    """The bytes of a regular file, or why they were not read: a FIFO, device or folder is
    never opened for reading (a FIFO would block), a symbolic link is not followed, and a file
    over the size limit is not read."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return LINK
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a folder, FIFO, socket or device); skipped"
    # O_NONBLOCK: if the file was swapped for a FIFO since, opening it does not wait for a writer;
    # O_NOFOLLOW: if it was swapped for a link, it is not opened
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LINK
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file (a folder, FIFO, socket or device); skipped"
        if info.st_size > MAX_FILE_BYTES:
            return f"{info.st_size / 2**20:.0f} MiB is far too large for a results file; {REMEASURE}"
        return f.read(MAX_FILE_BYTES + 1)


def read_json(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[object, list[str]]:
    """Parse a results file of any kind; returns (what it holds, the problem if it cannot be read).
    Never raises for bad input: deep nesting, duplicate keys and non-regular files are problems too.
    The bytes read and parsed are put in ``keep`` under ``path``: what is published of the file is
    written from them, never read again from the disk (where the file may have changed since)."""
    try:
        data = _read_regular(path)
        if isinstance(data, str):
            return None, [data]
        if len(data) > MAX_FILE_BYTES:
            return None, [f"{len(data) / 2**20:.0f} MiB is far too large for a results file; {REMEASURE}"]
        text = data.decode("utf-8")
        if keep is not None:
            keep[path] = data
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"cannot be read ({exc}); {REMEASURE}"]
    if not text.strip():
        return None, [f"is empty; {REMEASURE}"]
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as exc:
        return None, [f"the key {exc.args[0]!r} appears twice in one object (which one counts?); {REMEASURE}"]
    except RecursionError:
        return None, [f"nested far too deeply for a results file; {REMEASURE}"]
    except ValueError as exc:
        return None, [f"not valid JSON ({exc}); {REMEASURE}"]
    if _too_deep(doc):
        return None, [f"nested more than {MAX_DEPTH} deep, far deeper than a results file; {REMEASURE}"]
    return doc, []


@cache
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    """A results schema, with the registered frameworks as the only ones a run may name: the
    registry, not a list in the schema file, says which frameworks there are."""
    import jsonschema  # here: the harness and its children write results, only readers check them

    schema = json.loads(schema_path.read_text())
    known = {"enum": list(REGISTRY)}
    if schema_path == STUDY_SCHEMA_PATH:
        schema["properties"]["framework"] = known
        schema["properties"]["software"]["properties"]["framework"]["properties"]["name"] = known
    else:
        schema["properties"]["run"]["properties"]["framework"] = known
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_problems(doc: object, schema_path: Path) -> list[str]:
    """What the schema at ``schema_path`` finds wrong in ``doc``, then any number that is not finite."""
    problems = [
        f"{field_name(error.absolute_path)}: {error.message}; {REMEASURE}"
        for error in sorted(_validator(schema_path).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    return problems + [f"{field_name(path)}: {value} is not a finite number; {REMEASURE}"
                       for path, value in _non_finite(doc)]  # fmt: skip


def machine_id_problem(machine_id: str) -> str | None:
    """Why a machine id (or a machine folder's name) cannot name a machine on the site, if it cannot."""
    if not MACHINE_ID.fullmatch(machine_id) or len(machine_id) > MAX_MACHINE_ID:
        return (
            f"machine.id: {machine_id[:120]!r} is not a machine id (lower-case letters and digits in words "
            f"joined by '-', at most {MAX_MACHINE_ID}); {REMEASURE} with FG_MACHINE_ID set to one"
        )
    if machine_id in RESERVED_IDS:
        return (
            f"machine.id: {machine_id!r} is a name the site uses for its own pages or folders "
            f"({', '.join(sorted(RESERVED_IDS))}); {REMEASURE} with another FG_MACHINE_ID"
        )
    return None


# ---- migrations ------------------------------------------------------------------------------

Document = dict[str, Any]  # a parsed document of an older version, untrusted until checked


def process_wall_s(doc: Mapping[str, object]) -> float | None:
    """The mean wall time of one process of a result file of any version, unchecked: its round
    records' where they have one, else the run's over its rounds (a count before version 3); None
    where it holds neither."""
    rounds, run = doc.get("rounds"), doc.get("run")
    listed = rounds if isinstance(rounds, list) else []
    walls = [one["wall_s"] for one in listed if isinstance(one, dict) and isinstance(one.get("wall_s"), int | float)]
    if walls:
        return float(statistics.fmean(walls))
    count = len(rounds) if isinstance(rounds, list) else rounds
    wall = run.get("wall_s") if isinstance(run, dict) else None
    if not isinstance(count, int) or count <= 0 or not isinstance(wall, int | float):
        return None
    return float(wall) / count


def _v1_to_v2(doc: Document) -> Document:
    """Version 2 measures in rounds: values taken once per round become lists (version 1 had
    one round), and a run that could not start is "unavailable" rather than "skipped".

    The document is untrusted: a field of the wrong type is left as it is, for the schema to
    name, rather than assumed to be right."""
    outcome = doc.get("outcome")
    if isinstance(outcome, dict) and outcome.get("status") == "skipped":
        outcome["status"] = "unavailable"
    doc["rounds"] = 1
    doc["import_s"] = [] if doc.get("import_s") is None else [doc["import_s"]]
    memory = doc.get("memory")
    if isinstance(memory, dict):
        doc["memory"] = {key: [] if value is None else [value] for key, value in memory.items()}
    measurements = doc.get("measurements")
    for m in measurements if isinstance(measurements, list) else []:
        if isinstance(m, dict):
            samples = m.get("samples")
            m["samples_per_round"] = [len(samples) if isinstance(samples, list) else 0]
            for key in ("steps_per_sample", "warmup_steps", "first_call_s"):
                m[key] = [m.get(key)]
    return doc


def _v2_problems(doc: Document) -> list[str]:
    """A version 2 document is checked against its own (frozen) schema before it is migrated, so
    that its problems name its own fields; and its samples must add up to its rounds."""
    problems = schema_problems(doc, V2_SCHEMA_PATH)
    for i, m in enumerate([] if problems else doc["measurements"]):
        if len(m["samples_per_round"]) != doc["rounds"] or sum(m["samples_per_round"]) != len(m["samples"]):
            problems.append(
                f"measurements[{i}].samples_per_round: does not add up to the {len(m['samples'])} samples "
                f"in {doc['rounds']} rounds; {REMEASURE}"
            )
    return problems


PER_ROUND = (
    "steps_per_sample", "warmup_steps", "warmup_s", "warmup_steady", "prepare_s", "first_call_s", "device_peak_bytes",
    "curve", "time_to_target_s",
)  # fmt: skip  # version 2 kept these as lists, one entry per round


def _v2_to_v3(doc: Document) -> Document:
    """Version 3 keeps each round's readings in a record of its own (``rounds``), where version 2
    pooled the samples over the rounds (``samples_per_round`` told them apart) and kept the other
    readings as lists, one entry per round. Called on a document its own schema accepted."""
    count = doc["rounds"]

    def nth(values: list[Any], i: int, what: str) -> Any:
        if len(values) == count:
            return values[i]
        if values:  # version 2 appended nothing for a reading a round lacked: which round is which is lost
            raise ValueError(f"{what} has {len(values)} entries for {count} rounds")
        return None

    measurements = doc.pop("measurements")
    rounds = []
    for i in range(count):
        readings = []
        for m in measurements:
            start = sum(m["samples_per_round"][:i])
            reading = {"samples": m["samples"][start : start + m["samples_per_round"][i]]}
            reading |= {key: nth(m[key], i, key) for key in PER_ROUND if key in m}
            readings.append(reading)
        rounds.append({
            "import_s": nth(doc["import_s"], i, "import_s"),
            "peak_rss_bytes": nth(doc["memory"]["peak_rss_bytes"], i, "memory.peak_rss_bytes"),
            "after_import_rss_bytes": nth(doc["memory"]["after_import_rss_bytes"], i, "memory.after_import_rss_bytes"),
            "measurements": readings,
        })  # fmt: skip
    del doc["import_s"], doc["memory"]
    doc["measurements"] = [{key: m[key] for key in DESCRIBES} for m in measurements]
    doc["rounds"] = rounds
    return doc


# Migrations from older schema versions: MIGRATIONS[n] turns a version-n document into n+1, after
# CHECKS[n] (if any) found nothing wrong with it.
MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2, 2: _v2_to_v3}
CHECKS: dict[int, Callable[[Document], list[str]]] = {2: _v2_problems}


def check_document(doc: object) -> tuple[Result | None, list[str]]:
    """Migrate and validate a parsed document; returns (the current-version document, problems)."""
    if not isinstance(doc, dict):
        return None, [f"top level is a JSON {type(doc).__name__}, not an object; {REMEASURE}"]
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return None, [f"schema_version: missing or not an integer; {REMEASURE}"]
    if version > SCHEMA_VERSION:
        return None, [
            f"schema_version: {version} is newer than this Framework Guide reads ({SCHEMA_VERSION}); "
            "update Framework Guide (git pull) and build again"
        ]
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            return None, [f"schema_version: {version} is too old to migrate; re-measure with `nox -s measure`"]
        problems = CHECKS[version](doc) if version in CHECKS else []
        if problems:
            return None, problems
        try:
            doc = MIGRATIONS[version](doc)
        except Exception as exc:  # untrusted input: any failure is this file's problem
            return None, [f"schema_version: {version} cannot be migrated ({one_line(exc)}); {REMEASURE}"]
        version = doc["schema_version"] = version + 1
    problems = schema_problems(doc, SCHEMA_PATH)
    result = cast(Result, doc)
    problems = problems or _meaning_problems(result)
    return (None, problems) if problems else (result, [])


def _meaning_problems(doc: Result) -> list[str]:
    """What a schema cannot say: known names, and a reading of every measurement in every round."""
    run = doc["run"]
    reserved = machine_id_problem(doc["machine"]["id"])
    if reserved is not None:
        return [reserved]
    try:
        workload = catalog.workload(run["workload"])
    except catalog.UnknownName as exc:
        return [f"run.workload: {exc.args[0]}; {REMEASURE}"]
    if run["mode"] not in workload.modes.get(run["framework"], ()):
        return [f"run.mode: {run['workload']} has no {run['framework']} mode {run['mode']!r}; {REMEASURE}"]
    problems = []
    for i, m in enumerate(doc["measurements"]):
        if m["metric"] not in catalog.METRICS:
            known = ", ".join(sorted(catalog.METRICS))
            problems.append(f"measurements[{i}].metric: unknown metric {m['metric']!r} (known: {known}); {REMEASURE}")
    for i, one in enumerate(doc["rounds"]):
        if len(one["measurements"]) != len(doc["measurements"]):
            problems.append(
                f"rounds[{i}].measurements: {len(one['measurements'])} readings for the run's "
                f"{len(doc['measurements'])} measurements; {REMEASURE}"
            )
    return problems


def check_file(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[Result | None, list[str]]:
    """Read one results file; returns (document, problems), each problem naming a field. The bytes
    read are put in ``keep`` (see ``read_json``)."""
    doc, problems = read_json(path, keep)
    return (None, problems) if problems else check_document(doc)


def check_study(path: Path, known: Iterable[str], keep: dict[Path, bytes] | None = None) -> tuple[
        StudyFile | None, list[str]]:  # fmt: skip
    """Read and validate one study file, of one of the ``known`` studies; returns (document,
    problems naming the field). The bytes read are put in ``keep`` (see ``read_json``)."""
    doc, problems = read_json(path, keep)
    if problems:
        return None, problems
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version == 1 and isinstance(doc, dict):
        try:
            doc = _study_v1_to_v2(doc)
        except Exception as exc:  # untrusted input: any failure is this file's problem
            return None, [f"schema_version: 1 cannot be migrated ({one_line(exc)}); {REMEASURE}"]
    errors = sorted(_validator(STUDY_SCHEMA_PATH).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}; {REMEASURE}" for e in errors]
    if problems:
        return None, problems
    study = cast(StudyFile, doc)
    names = list(known)
    if study["study"] not in names:
        return None, [f"study: unknown study {study['study']!r} (known: {', '.join(names)}); {REMEASURE}"]
    if (reserved := machine_id_problem(study["machine"]["id"])) is not None:
        return None, [reserved]
    return study, []


# ---- reading the records ------------------------------------------------------------------------


def samples_of(doc: Result, index: int) -> list[list[float]]:
    """The ``index``-th measurement's samples, one list per round (process), in round order."""
    return [one["measurements"][index]["samples"] for one in doc["rounds"]]


def every_sample(doc: Result, index: int) -> list[float]:
    """The ``index``-th measurement's samples of every round, one after another."""
    return [s for samples in samples_of(doc, index) for s in samples]


def scaling_efficiency(medians: dict[str, float | None]) -> Efficiency:
    """The distributed study's scaling efficiency, from the median throughput of each configuration,
    in the layout whose configurations were measured (``catalog.LAYOUTS``): the data-parallel
    run's median over the best single process's, and over the workers' count times one worker's
    process alone (linear scaling); None where a run did not complete. Names each configuration by
    its title, for the sentence that shows them."""
    layouts = catalog.LAYOUTS
    configurations = {c.id: c for lay in layouts.values() for c in lay.configurations}
    titles = {i: c.title[:1].lower() + c.title[1:] for i, c in configurations.items()}
    found = next((lay for lay in layouts.values() if lay.efficiency[0] in medians), next(iter(layouts.values())))
    parallel, single, one = found.efficiency
    workers = configurations[parallel].processes
    many, best, alone = medians.get(parallel), medians.get(single), medians.get(one) if one else None
    return {
        "parallel": titles[parallel], "single": titles[single], "one": titles[one] if one else None,
        "workers": workers,
        "vs_single": many / best if many and best else None,
        "vs_linear": many / (workers * alone) if many and alone else None,
    }  # fmt: skip


def finding_rounds(finding: Mapping[str, object], key: str = "samples") -> list[list[float]]:
    """A study finding's samples under ``key``, one list per fresh process: ``<key>_per_process``
    where the study ran in several (``studies.runner.merge_findings``), else ``<key>``, the samples
    of its one process (a single reading, no interval). No samples: no process."""
    processes = finding.get(f"{key}_per_process")
    if isinstance(processes, list):
        return [list(own) for own in processes if isinstance(own, list) and own]
    samples = finding.get(key)
    return [list(samples)] if isinstance(samples, list) and samples else []


def _study_v1_to_v2(doc: Document) -> Document:
    """Study files of version 2 keep the samples of each process of a finding in a list of their own
    (``<key>_per_process``), where version 1 put them one after another in ``<key>`` with a count per
    process in ``<key>_per_round``. The document is untrusted: what is not a finding is left as it is,
    for the schema to name; counts that do not add up to the samples fail the migration."""
    findings = doc.get("findings")
    for finding in findings if isinstance(findings, list) else []:
        for key in SAMPLE_LISTS if isinstance(finding, dict) else ():
            counts, samples = finding.get(f"{key}_per_round"), finding.get(key)
            if counts is None:
                continue
            if not isinstance(counts, list) or not isinstance(samples, list) or sum(counts) != len(samples):
                raise ValueError(f"{key}_per_round does not add up to the {key}")
            starts = [sum(counts[:i]) for i in range(len(counts))]
            finding[f"{key}_per_process"] = [samples[a : a + n] for a, n in zip(starts, counts, strict=True)]
            del finding[f"{key}_per_round"], finding[key]
    doc["schema_version"] = 2
    return doc
