#!/usr/bin/env bash
# Executes notebooks/cost_report.ipynb headless against a report directory (what `stride-job report --output DIR`
# wrote) and saves the executed notebook, with its tables and charts, as DIR/cost_report.ipynb (or OUT.ipynb).
#
#   scripts/run-notebook.sh REPORT_DIR [OUT.ipynb]
#
# Uses Debian's python (/usr/bin/python3) and installs its Jupyter, pandas and matplotlib packages with apt-get when
# they are missing (that needs root). Exits non-zero when the notebook fails, e.g. when its numbers disagree with the
# report's.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 REPORT_DIR [OUT.ipynb]" >&2
  exit 2
fi
if [[ ! -f $1/report.json || ! -f $1/report.csv ]]; then
  echo "run-notebook: $1 has no report.json and report.csv; run 'bin/stride-job report --output $1' first" >&2
  exit 2
fi
report_dir=$(realpath "$1")
out=$(realpath -m "${2:-$report_dir/cost_report.ipynb}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Not the first python3 on PATH (pyenv on dev machines): Debian's packages belong to Debian's interpreter.
PY=/usr/bin/python3

if ! "$PY" -c 'import pandas, matplotlib, nbconvert, ipykernel, jupyter_client' 2>/dev/null; then
  echo "run-notebook: installing Debian's Jupyter, pandas and matplotlib packages ..." >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-pandas python3-matplotlib \
    python3-nbconvert python3-ipykernel python3-jupyter-client jupyter-nbconvert jupyter-core >&2
fi

# The kernel must be this interpreter too: hide user-level kernelspecs (a pyenv kernel named python3, say), so that
# python3 is Debian's (/usr/share/jupyter/kernels) or this interpreter's own.
jupyter_data=$(mktemp -d)
trap 'rm -rf "$jupyter_data"' EXIT
export STRIDE_REPORT_DIR=$report_dir JUPYTER_DATA_DIR=$jupyter_data
"$PY" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
  --ExecutePreprocessor.kernel_name=python3 \
  --output-dir "$(dirname "$out")" --output "$(basename "$out")" "$root/notebooks/cost_report.ipynb"
echo "run-notebook: executed notebook at $out"
