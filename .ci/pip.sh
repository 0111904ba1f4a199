# Sourced by .ci/setup-demo and .ci/setup: `pip_install PYTHON ARGS...` runs pip quietly, without
# its version check, and without the warnings a machine's own pip configuration makes it print
# on every run (an extra index or find-links folder that does not exist), which would drown the
# quickstart's first lines; nor setuptools' caution, on each editable install, about folders named
# like the package. pip's errors, and its exit status, come through as they are.
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip_install() {
  local python="$1"
  shift
  PYTHONWARNINGS="ignore:Editable installation:UserWarning" "$python" -m pip install --quiet "$@" 2>&1 \
    | { grep -v -E "^WARNING: Location '[^']*' is ignored: it is neither a file nor a directory\.$" || true; }
  return "${PIPESTATUS[0]}"
}
