#!/usr/bin/env bash
# Builds an optimised deltascope into build-release/, installs Binoc 0.2 into bench/.venv and the
# Python SDK into bench/.venv-plugins, generates the datasets (seeded, into bench/data/) and runs
# every benchmark (bench/bench.py), printing one table of ratios and writing docs/performance.md.
# Arguments go to bench.py:
#   bash bench/run.sh            # the full run (about 20 minutes on 2 quiet cores)
#   bash bench/run.sh --quick    # small sizes, to check the harness (writes nothing)
#   bash bench/run.sh --csv-only --csv-mb 200   # the CSV rows against polars and the floor only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
# RelWithDebInfo: -O2 and NDEBUG like Release, with symbols so that perf/callgrind name functions;
# the flags match scripts/build.sh, so ccache shares the objects.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELTASCOPE_WERROR=ON >/dev/null
cmake --build build-release --target deltascope deltascoped deltascope-plugin-ini \
  deltascope-test-plugin pingpong plugin_bench hash_floor >/dev/null
# The peers (Binoc, polars) in a venv of the bench's own, from bench/requirements.txt.
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
# Python plugins are measured as users get them: the SDK and the example plugin installed as
# regular, byte-compiled packages in a venv of their own (the project's .venv holds editable
# installs, with an import hook that runs at every interpreter start).
[ -x bench/.venv-plugins/bin/python ] || python3 -m venv bench/.venv-plugins
bench/.venv-plugins/bin/pip install -q --disable-pip-version-check --find-links .venv/wheels \
  ./plugin-sdk-python ./examples/plugins/sqlite-python
bench/.venv-plugins/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps \
  ./plugin-sdk-python ./examples/plugins/sqlite-python
exec python3 bench/bench.py "$@"
