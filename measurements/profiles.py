"""Measurement profiles: how big the workloads are, how many processes measure each run and
how long each is timed."""

from __future__ import annotations

from dataclasses import dataclass, replace

PROFILE_ENV = "FG_STUDY_PROFILE"  # the profile a study's child runs under: the study runner sets it
CONTROL = "mlp/pytorch/eager"  # the cheapest run every CPU profile measures in the primary mode it is compared by
STEADY_BLOCKS = 4
STEADY_TOLERANCE = 0.05
ACCURACY_ROUNDS = 3  # training on real data takes tens of seconds a process: at most this many
# ResNet-50 and the BERT-base-sized encoder: the gpu profile measures them in this many processes
LARGE_ROUNDS = 3


@dataclass(frozen=True)
class PipelinePlan:
    """What a profile's data-pipeline study measures: which data-set sizes, how many steady epochs
    after the first at each, and which configurations of each framework (a framework not named:
    every configuration)."""

    sizes: tuple[int, ...]
    steady_epochs: int
    configurations: dict[str, tuple[str, ...]]


# what the verdicts read (data/claims.toml, data/decide.toml): the timing workloads of the speed rules,
# the studies of the other rules (usability: the debugging and errors studies), and of the pipeline study
# its largest size, where TensorFlow counts without its in-memory cache. tests/test_budget.py checks these
VERDICT_WORKLOADS = ("mlp", "mlp_infer", "cnn", "cnn_infer", "transformer", "transformer_infer", "resnet50",
                     "resnet50_infer", "encoder", "encoder_infer")  # fmt: skip
VERDICT_STUDIES = ("codesize", "debugging", "distributed", "errors", "memory", "pipeline", "pipeline_limit", "serving")
# the largest size alone, one steady epoch after the first (an epoch's rate varies by about 2% within a
# process, far less than between processes, which the interval is over); the full profile measures 5
VERDICT_PIPELINE = PipelinePlan(sizes=(100_000,), steady_epochs=1, configurations={"tensorflow": ("no-cache",)})


@dataclass(frozen=True)
class Profile:
    name: str
    size: str  # which sizes a workload's spec uses: "tiny", "standard" or "full"
    rounds: int  # fresh processes per run (the unit of replication), interleaved with the other runs
    samples: int  # timed samples per measurement and round
    sample_s: float  # each sample of a rate repeats the step until it lasts at least this long
    latency_samples: int  # calls timed one by one per latency measurement and round
    warmup_s: float  # the least warm-up before timing, after the first call
    timeout_s: float  # a child that runs longer is killed and recorded as a timeout
    # Warm-up goes on until the step time is steady: the last STEADY_BLOCKS blocks of steps
    # (each lasting at least a quarter of a sample) within STEADY_TOLERANCE of each other,
    # or until warmup_cap_s has passed (the run then records that it never became steady).
    warmup_cap_s: float = 5.0
    # workloads measured in every mode; the others only in each framework's plain (first) mode.
    # None: every workload in every mode.
    every_mode: tuple[str, ...] | None = None
    # each framework's primary mode alone (its default fast path: the mode every verdict compares,
    # fixed in advance); its other modes are measured by the profiles that leave this False
    primary_only: bool = False
    # which batch sizes the workloads' specs use (default: the size's own), apart from the model sizes
    batches: str = ""
    # the runs it plans, workload -> framework -> modes (None: every workload and framework, as
    # every_mode says), and the devices it plans them on (None: every device here); --only overrides both
    plan: dict[str, dict[str, tuple[str, ...]]] | None = None
    devices: tuple[str, ...] | None = None
    on_cpu: bool = False  # a dry run: the planned runs run on the CPU, whatever device they are planned on
    # at most this many distinct examples in a batch, repeated to fill it (None: every example
    # distinct): the NumPy float64 reference that checks parity is computed on them alone
    distinct: int | None = None
    # the A/A control (``workload/framework/mode``): that run measured a second time, interleaved beside
    # it as if it were another framework, on each device the run is planned on; the generator reads the
    # noise floor from the two and never counts the second in a verdict. None: no control
    control: str | None = CONTROL
    # replicated until decided: the process counts at which the harness looks whether a case's
    # comparisons are decided and, where not, adds rounds up to the next; the last is the cap. Empty:
    # one look at ``rounds``. Every interval is corrected for the number of looks (``generator.analyse.stats``)
    looks: tuple[int, ...] = ()
    # the large models' looks, where they differ from ``looks`` (None: the same). The standard profile
    # gives them none beyond the first: a round of them costs about 10 minutes on 2 cores
    large_looks: tuple[int, ...] | None = None
    # the workloads and studies it measures (None: every one; the quick profile's studies are those
    # marked quick). The standard profile measures what some verdict reads (data/claims.toml and
    # data/decide.toml; tests/test_budget.py checks it), the full profile everything
    workloads: tuple[str, ...] | None = None
    studies: tuple[str, ...] | None = None
    # what the data-pipeline study measures (None: every size and configuration, in its usual epochs)
    pipeline: PipelinePlan | None = None
    # whether the serving study measures the deploy paths on a shared runtime (ONNX Runtime), which no
    # verdict compares (``serving.ServingPath.shared``)
    serving_shared: bool = True

    @property
    def batch_key(self) -> str:
        return self.batches or self.size


# The gpu profile's runs (README, "A GPU machine"): what one NVIDIA GPU is bought for, in 3 processes a
# case, within the 6 min 40 s the GPU machine's script gives it (its 16 cores then take the
# distributed study, in one command of at most 10 minutes). There a process costs 7-12 s before it
# measures anything (importing PyTorch 3-4 s and CUDA's start 2-4 s, as the old H100 results show;
# JAX's start and its compile about as much, the compile cached for a run's later processes), and
# torch.compile 10-25 s a case more: about 11 runs of 3 processes, with the first processes'
# compiles and parity references (about 80 s), fit. So: both large models in each framework's
# primary mode, training and inference (batch 1 shows each framework's overhead per call); bf16 on
# ResNet-50's training (where mixed precision is the usual choice on a GPU); torch.compile on the
# encoder's inference (its training compile alone takes a minute a process). TensorFlow's runs
# record why it is missing where it is. The rest (the small models, the ops, torch.compile on
# training) is measured with --only 'WORKLOAD/*/*/cuda' and this profile in a later call.
_PRIMARY: dict[str, tuple[str, ...]] = {"pytorch": ("eager",), "tensorflow": ("function",), "jax": ("jit",)}
GPU_PLAN: dict[str, dict[str, tuple[str, ...]]] = {
    "resnet50": {"pytorch": ("eager", "bf16"), "tensorflow": ("function",), "jax": ("jit", "bf16")},
    "encoder": _PRIMARY,
    "resnet50_infer": _PRIMARY,
    "encoder_infer": {**_PRIMARY, "pytorch": ("eager", "compile")},
}


def dry_run(profile: Profile) -> Profile:
    """``profile``'s planned runs on the CPU at tiny sizes, one process each and short samples: a
    check that each of them works (CI runs it), which measures nothing worth keeping."""
    return replace(
        profile, name=f"{profile.name}-dry-run", size="tiny", batches="", rounds=1, samples=2, sample_s=0.01,
        latency_samples=3, warmup_s=0.0, warmup_cap_s=0.2, on_cpu=True, looks=(),
    )  # fmt: skip


# listed from the smallest to the largest: the harness and the generator rank profiles by this order
PROFILES = {profile.name: profile for profile in (
    # a first look within 3 minutes on 2 cores: the standard profile's workloads at tiny sizes, in one
    # process each, and the accuracy runs; the other modes (a cold torch.compile alone takes 10-30 s a
    # run) and the operations are the larger profiles'
    Profile("quick", "tiny", rounds=1, samples=5, sample_s=0.02, latency_samples=20,
            warmup_s=0.1, warmup_cap_s=1.0, timeout_s=300, primary_only=True,
            workloads=(*VERDICT_WORKLOADS, "digits")),
    # five processes per run, the large models' too: the fewest a verdict rests on (rule 8). Each
    # framework in its primary mode alone, the one verdicts compare: the other modes (torch.compile,
    # XLA, op by op, layouts, plugins) took 69 of the 122 minutes of the reference machine's last
    # standard timing runs, and are the full profile's (see README, "How long it takes"). A workload
    # whose comparisons are undecided after five gets up to seven (the error rates at that stopping:
    # generator/judge/simulate.py, shown on the Methodology page); the large models none: seven would
    # take the profile past its budget of 150 minutes on 2 cores in the worst case (README, "How long
    # it takes"; ``python -m measurements list --estimate``). It measures the workloads and studies the
    # verdicts read, and of the pipeline and serving studies what the verdicts compare; the rest is the
    # full profile's
    Profile("standard", "standard", rounds=5, samples=5, sample_s=0.1, latency_samples=40,
            warmup_s=0.2, warmup_cap_s=3.0, timeout_s=900, primary_only=True, looks=(5, 7), large_looks=(),
            workloads=VERDICT_WORKLOADS, studies=VERDICT_STUDIES, pipeline=VERDICT_PIPELINE,
            serving_shared=False),
    Profile("full", "full", rounds=10, samples=20, sample_s=0.5, latency_samples=300,
            warmup_s=1.0, warmup_cap_s=20.0, timeout_s=1800, looks=(10, 20)),
    Profile("gpu", "standard", rounds=3, samples=5, sample_s=0.05, latency_samples=30,
            warmup_s=0.1, warmup_cap_s=1.0, timeout_s=240,
            batches="gpu", plan=GPU_PLAN, devices=("cuda",), distinct=2,
            control="resnet50_infer/pytorch/eager"),  # a run it measures on the GPU, in its primary mode
)}  # fmt: skip
# the gpu profile's dry run ranks below every other profile: it is the smallest
PROFILES = {"gpu-dry-run": dry_run(PROFILES["gpu"]), **PROFILES}


def rounds_for(profile: Profile, task: str, scale: str = "small") -> int:
    """How many processes measure a run of this task (training on real data is capped, and so are
    the large models in the gpu profile: it has minutes, not hours)."""
    if task == "accuracy":
        return min(profile.rounds, ACCURACY_ROUNDS)
    if scale == "large" and profile.devices == ("cuda",):
        return min(profile.rounds, LARGE_ROUNDS)
    return profile.rounds


def looks_for(profile: Profile, task: str, scale: str = "small") -> tuple[int, ...]:
    """The process counts at which a run of this task is looked at (``Profile.looks``, or for the large
    models ``Profile.large_looks`` where set), the first ``rounds_for``'s: the runs measured in fewer
    processes than the profile's are not replicated."""
    first = rounds_for(profile, task, scale)
    if first < profile.rounds:
        return (first,)
    looks = profile.large_looks if scale == "large" and profile.large_looks is not None else profile.looks
    return tuple(sorted({first, *(n for n in looks if n > first)}))
