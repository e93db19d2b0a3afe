"""The kernel-library study in PyTorch (see ``measurements.studies.libraries``): a matrix multiply and a
convolution, and what the build says of its BLAS and oneDNN. Runs inside the study's child only."""

from __future__ import annotations

import re

from measurements.findings import Probed


def probe() -> Probed:
    import torch

    found: Probed = {}
    a = torch.randn(1024, 1024)
    (a @ a).sum().item()
    torch.nn.functional.conv2d(torch.randn(8, 64, 32, 32), torch.randn(64, 64, 3, 3), padding=1).sum().item()
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    found["blas"] = blas.group(1) if blas else None
    found["mkldnn"] = bool(torch.backends.mkldnn.is_available())
    found["build"] = [line.strip()[:200] for line in config.splitlines() if "Math Kernel" in line or "oneDNN" in line][
        :4
    ]
    return found
