#!/usr/bin/env bash
# Install what `make bench` needs and the project does not: wrk (Debian), the peers
# (Authlib + Flask + gunicorn from PyPI; node-oidc-provider, and Node 22 where the npm
# registry has it, from npm) into bench/.peers/, which is gitignored and never committed.
# With "profile", also py-spy (PyPI). Re-running is cheap: what is installed is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peers="$here/.peers"
python="${PYTHON:-python3.11}"
mkdir -p "$peers"

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)"
  sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  timeout 300 $sudo_ apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { timeout 300 $sudo_ apt-get update -qq && timeout 300 $sudo_ apt-get install -y -qq wrk >/dev/null; }
fi

wanted="$here/peers/authlib-requirements.txt"
if [ ! -x "$peers/authlib/bin/gunicorn" ] || ! cmp -s "$wanted" "$peers/authlib/requirements.txt"; then
  echo "bench: installing Authlib, Flask and gunicorn into bench/.peers/authlib"
  rm -rf "$peers/authlib"
  timeout 300 "$python" -m venv "$peers/authlib"
  timeout 600 "$peers/authlib/bin/pip" install --quiet --disable-pip-version-check -r "$wanted"
  cp "$wanted" "$peers/authlib/requirements.txt"
fi

wanted="$here/peers/package.json"
if [ ! -d "$peers/node/node_modules/oidc-provider" ] || ! cmp -s "$wanted" "$peers/node/package.json"; then
  echo "bench: installing node-oidc-provider into bench/.peers/node"
  rm -rf "$peers/node"
  mkdir -p "$peers/node"
  cp "$wanted" "$peers/node/package.json"
  (cd "$peers/node" && timeout 600 npm install --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = "profile" ] && [ ! -x "$peers/tools/bin/py-spy" ]; then
  echo "bench: installing py-spy into bench/.peers/tools"
  timeout 300 "$python" -m venv "$peers/tools"
  timeout 600 "$peers/tools/bin/pip" install --quiet --disable-pip-version-check py-spy==0.4.1
fi
