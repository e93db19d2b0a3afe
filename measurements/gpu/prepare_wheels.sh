#!/usr/bin/env bash
# Downloads, into .whl/ (ignored by git), the wheels that the harness needs and the GPU machine lacks:
# jsonschema (the launcher checks each child's report with it) and what it needs there. The machine
# (Python 3.12, x86-64, no network) has attrs, six and typing-extensions already; the versions are
# those of pyproject.toml and of this project's environments. About 0.5 MB.
#
#     bash measurements/gpu/prepare_wheels.sh        # here, before the call; then carry .whl
set -euo pipefail
cd "$(dirname "$0")/../.."
pinned() {  # NAME's pin in pyproject.toml's dependencies
  python3 -c "import re,sys,tomllib; d=tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']; \
print(next(p for p in d if re.match(re.escape(sys.argv[1])+'==', p)))" "$1"
}
WHEELS=(
  "$(pinned jsonschema)" "$(pinned rfc3339-validator)"
  referencing==0.37.0 rpds-py==2026.9.1 jsonschema-specifications==2025.9.1  # jsonschema 4.26.0's needs
)
rm -rf .whl && mkdir .whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}"
ls .whl
