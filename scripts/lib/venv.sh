# Sourced by scripts/demo and scripts/test (from the repo root): the Python set-up they share.

apt_updated=""

# Install Debian packages unattended; `apt-get update` once per run, only when needed.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "$apt_updated" ]; then
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
        apt_updated=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# Make .venv hold this checkout installed editable with pip spec $1 ("." or ".[dev]").
# pip runs only when pyproject.toml changed since the last install (its sha256 is stamped
# inside .venv); source edits need no reinstall because the install is editable.
ensure_venv() {
    local spec=$1 stamp=.venv/safefeed-installed want have=""
    # A venv whose interpreter is gone (moved checkout, removed Python) is rebuilt.
    if [ -d .venv ] && ! .venv/bin/python -c '' 2>/dev/null; then
        rm -rf .venv
    fi
    if [ ! -d .venv ]; then
        command -v python3 >/dev/null || apt_install python3
        if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "safefeed needs Python 3.11 or newer; python3 is $(python3 -V 2>&1)" >&2
            exit 1
        fi
        echo "Creating .venv ..." >&2
        if ! python3 -m venv .venv; then
            # Debian ships venv's pip bootstrap (ensurepip) as a separate package.
            rm -rf .venv
            apt_install python3-venv
            python3 -m venv .venv
        fi
    fi
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    [ -f "$stamp" ] && have=$(cat "$stamp")
    # ".[dev]" contains everything "." needs, so its stamp also satisfies the demo.
    if [ "$have" = "$want $spec" ] || [ "$have" = "$want .[dev]" ]; then
        return 0
    fi
    echo "Installing safefeed$([ "$spec" = . ] || echo " ${spec#.}") into .venv ..." >&2
    case "$spec" in
    *dev* | *embeddings*)
        # The embeddings extra needs PyTorch. The CPU build 2.13.0 lies on these machines'
        # disk; installed first, it satisfies the extra's range, so pip downloads no
        # multi-GB CUDA build.
        .venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
        ;;
    esac
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    echo "$want $spec" >"$stamp"
}
