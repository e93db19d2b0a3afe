"""The debugging study's scripts in PyTorch (see ``measurements.studies.debugging``): each runs in a
fresh process and prints markers that the study counts; PyTorch is not imported here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measurements.studies.debugging import Outcome


def print_notes(run: Outcome) -> str:
    """What the print() script shows beyond the prints: the graph breaks that torch._dynamo counts."""
    breaks = run.marker("GRAPH-BREAKS")
    return "" if breaks is None else f" torch._dynamo.explain counts {breaks} graph break(s) in the function."


# print() inside a function compiled by ``torch.compile``, three calls
PRINT = """\
import torch


def double(x):
    print("PRINTED")
    return x * 2


compiled = torch.compile(double)
for _ in range(3):
    compiled(torch.ones(3))
print("CALLS-DONE")
print(f"GRAPH-BREAKS {torch._dynamo.explain(double)(torch.ones(3)).graph_break_count}")
"""


# a pdb breakpoint inside the model's forward pass, eager or compiled (FG_COMPILED=1); the study adds
# the lines that print the debugger's log and the output's shape (LOG_END)
BREAKPOINT = """\
import io
import os
import pdb

import torch
from torch import nn

log = io.StringIO()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        pdb.Pdb(stdin=io.StringIO("p type(x).__name__\\np x.shape\\nc\\n"), stdout=log, nosigint=True).set_trace()
        return self.fc(x)


net = Net()
model = torch.compile(net) if os.environ.get("FG_COMPILED") == "1" else net
for _ in range(2):
    out = model(torch.ones(3, 4))
"""
# its own breakpoint for compiled code, tried beside pdb: (its name, its debugger's prompt, the script)
OWN_BREAKPOINT: tuple[str, str, str] | None = None

# anomaly detection on an op that makes a NaN (the line marked NAN-LINE)
ANOMALY = """\
import torch

x = torch.tensor([-1.0, 4.0], requires_grad=True)
with torch.autograd.detect_anomaly():
    y = torch.sqrt(x)  # NAN-LINE
    loss = y.sum()
    loss.backward()
print(f"NO-ERROR gradient {x.grad.tolist()}")
"""

# the switch that runs compiled code eagerly: (the environment variable the script reads, the switch's name)
SWITCH = ("TORCH_COMPILE_DISABLE", "TORCH_COMPILE_DISABLE=1")
EAGERLY = """\
import torch


def scaled(x):
    print("PRINTED")
    return torch.tanh(x) * 3 + x**2


compiled = torch.compile(scaled)
x = torch.linspace(-2, 2, 7)
for _ in range(3):
    out = compiled(x)
print("OUTPUT", " ".join(float(v).hex() for v in out))
"""
