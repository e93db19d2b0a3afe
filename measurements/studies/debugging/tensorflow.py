"""The debugging study's scripts in TensorFlow (see ``measurements.studies.debugging``): each runs in a
fresh process and prints markers that the study counts; TensorFlow is not imported here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measurements.studies.debugging import Outcome


def print_notes(run: Outcome) -> str:
    """What the print() script shows beyond the prints: how often ``tf.print`` ran."""
    return f" tf.print ran {run.count('TF-PRINTED')} times."


# print() inside a function compiled by ``tf.function``, three calls
PRINT = """\
import sys

import tensorflow as tf


@tf.function
def double(x):
    print("PRINTED")
    tf.print("TF-PRINTED", output_stream=sys.stdout)
    return x * 2


for _ in range(3):
    double(tf.ones(3))
print("CALLS-DONE")
"""


# a pdb breakpoint inside the model's forward pass, eager or compiled (FG_COMPILED=1); the study adds
# the lines that print the debugger's log and the output's shape (LOG_END)
BREAKPOINT = """\
import io
import os
import pdb

import tensorflow as tf

log = io.StringIO()


class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = tf.keras.layers.Dense(2)

    def call(self, x):
        pdb.Pdb(stdin=io.StringIO("p type(x).__name__\\np x.shape\\nc\\n"), stdout=log, nosigint=True).set_trace()
        return self.fc(x)


net = Net()
model = tf.function(net) if os.environ.get("FG_COMPILED") == "1" else net
for _ in range(2):
    out = model(tf.ones((3, 4)))
"""
# its own breakpoint for compiled code, tried beside pdb: (its name, its debugger's prompt, the script)
OWN_BREAKPOINT: tuple[str, str, str] | None = None

# anomaly detection on an op that makes a NaN (the line marked NAN-LINE)
ANOMALY = """\
import tensorflow as tf

tf.debugging.enable_check_numerics()
x = tf.Variable([-1.0, 4.0])
with tf.GradientTape() as tape:
    y = tf.sqrt(x)  # NAN-LINE
    loss = tf.reduce_sum(y)
grad = tape.gradient(loss, x)
print(f"NO-ERROR gradient {grad.numpy().tolist()}")
"""

# the switch that runs compiled code eagerly: (the environment variable the script reads, the switch's name)
SWITCH = ("FG_RUN_EAGERLY", "tf.config.run_functions_eagerly(True)")
EAGERLY = """\
import os

import tensorflow as tf

if os.environ.get("FG_RUN_EAGERLY") == "1":
    tf.config.run_functions_eagerly(True)


@tf.function
def scaled(x):
    print("PRINTED")
    return tf.tanh(x) * 3 + x**2


x = tf.linspace(-2.0, 2.0, 7)
for _ in range(3):
    out = scaled(x)
print("OUTPUT", " ".join(float(v).hex() for v in out))
"""
