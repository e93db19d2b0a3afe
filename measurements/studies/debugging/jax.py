"""The debugging study's scripts in JAX (see ``measurements.studies.debugging``): each runs in a
fresh process and prints markers that the study counts; JAX is not imported here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measurements.studies.debugging import Outcome


def print_notes(run: Outcome) -> str:
    """What the print() script shows beyond the prints: how often ``jax.debug.print`` ran, and a value it showed."""
    values = [x.removeprefix("JAX-DEBUG-PRINTED").strip() for x in run.stdout.splitlines()
              if x.startswith("JAX-DEBUG-PRINTED")]  # fmt: skip
    shown = f", showing the value {values[0][:40]}" if values else ""
    return f" jax.debug.print ran {len(values)} times{shown}."


# print() inside a function compiled by ``jax.jit``, three calls
PRINT = """\
import jax
import jax.numpy as jnp


@jax.jit
def double(x):
    print("PRINTED")
    jax.debug.print("JAX-DEBUG-PRINTED {}", x.sum())
    return x * 2


for _ in range(3):
    double(jnp.ones(3)).block_until_ready()
jax.effects_barrier()
print("CALLS-DONE")
"""


# a pdb breakpoint inside the model's forward pass, eager or compiled (FG_COMPILED=1); the study adds
# the lines that print the debugger's log and the output's shape (LOG_END)
BREAKPOINT = """\
import io
import os
import pdb

import jax
import jax.numpy as jnp

log = io.StringIO()


def forward(params, x):
    pdb.Pdb(stdin=io.StringIO("p type(x).__name__\\np x.shape\\nc\\n"), stdout=log, nosigint=True).set_trace()
    return x @ params["w"] + params["b"]


params = {"w": jnp.ones((4, 2)), "b": jnp.zeros(2)}
model = jax.jit(forward) if os.environ.get("FG_COMPILED") == "1" else forward
for _ in range(2):
    out = model(params, jnp.ones((3, 4)))
"""
# its own breakpoint for compiled code, tried beside pdb: (its name, its debugger's prompt, the script)
OWN_BREAKPOINT: tuple[str, str, str] | None = (
    "jax.debug.breakpoint",
    "(jdb) ",
    """\
import io

import jax
import jax.numpy as jnp

log = io.StringIO()
commands = io.StringIO("p type(x).__name__\\np x.shape\\nc\\n" * 2)


@jax.jit
def forward(params, x):
    jax.debug.breakpoint(stdin=commands, stdout=log)
    return x @ params["w"] + params["b"]


params = {"w": jnp.ones((4, 2)), "b": jnp.zeros(2)}
for _ in range(2):
    out = forward(params, jnp.ones((3, 4))).block_until_ready()
jax.effects_barrier()
""",
)

# anomaly detection on an op that makes a NaN (the line marked NAN-LINE)
ANOMALY = """\
import jax
import jax.numpy as jnp

jax.config.update("jax_debug_nans", True)


def loss_fn(x):
    y = jnp.sqrt(x)  # NAN-LINE
    return y.sum()


x = jnp.array([-1.0, 4.0])
grad = jax.jit(jax.grad(loss_fn))(x)
print(f"NO-ERROR gradient {grad.tolist()}")
"""

# the switch that runs compiled code eagerly: (the environment variable the script reads, the switch's name)
SWITCH = ("FG_RUN_EAGERLY", 'jax.config.update("jax_disable_jit", True)')
EAGERLY = """\
import os

import jax
import jax.numpy as jnp

if os.environ.get("FG_RUN_EAGERLY") == "1":
    jax.config.update("jax_disable_jit", True)


@jax.jit
def scaled(x):
    print("PRINTED")
    return jnp.tanh(x) * 3 + x**2


x = jnp.linspace(-2.0, 2.0, 7)
for _ in range(3):
    out = scaled(x)
print("OUTPUT", " ".join(float(v).hex() for v in out))
"""
