#!/usr/bin/env bash
# Unpacks Debian's Exim 4 and Sendmail 8 into private roots for the end-to-end
# tests (test/helpers/exim.ts, test/helpers/sendmail.ts). Their packages conflict
# with postfix and with each other, so they are not installed: `apt-get download`
# then `dpkg-deb -x` into $MAILROOM_MTAS_DIR/{exim4,sendmail}. The libraries they
# need (which conflict with nothing) are installed with apt. Idempotent: does
# nothing when both roots are there. Called by .ci/run; needs root.
set -euo pipefail

ROOT="${MAILROOM_MTAS_DIR:-/opt/mailroom-mtas}"
EXIM_PKGS="exim4-daemon-light exim4-base exim4-config"
SENDMAIL_PKGS="sendmail-bin sendmail-base sendmail-cf"

# Exim looks its user up before it reads any configuration (as the package's postinst would create it).
id Debian-exim >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim

if [ -f "$ROOT/exim4/.done" ] && [ -f "$ROOT/sendmail/.done" ]; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# The packages' library dependencies (and m4 for building sendmail.cf), installed for real.
libs=$(apt-cache depends --no-recommends --no-suggests $EXIM_PKGS $SENDMAIL_PKGS \
  | awk '$1 ~ /Depends:$/ && $2 ~ /^lib/ { print $2 }' | sort -u)
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends m4 $libs >/dev/null

unpack() { # unpack NAME PKG...
  local name=$1; shift
  local dest="$ROOT/$name" dl
  rm -rf "$dest" && mkdir -p "$dest"
  dl=$(mktemp -d)
  # As root, into a private directory: no _apt sandbox (it could not write there).
  (cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "$@")
  for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$dest"; done
  rm -rf "$dl"
}

unpack exim4 $EXIM_PKGS
# No extra setuid-root programs on the machine: the tests start the MTAs as root.
chmod u-s "$ROOT/exim4/usr/sbin/exim4"
touch "$ROOT/exim4/.done"

unpack sendmail $SENDMAIL_PKGS
find "$ROOT/sendmail/usr" -type f -perm -4000 -exec chmod u-s {} +
touch "$ROOT/sendmail/.done"

# Every unpacked program must find its libraries.
for bin in "$ROOT/exim4/usr/sbin/exim4" "$ROOT/sendmail/usr/libexec/sendmail/sendmail" "$ROOT/sendmail/usr/libexec/sendmail/makemap"; do
  if ldd "$bin" | grep -q "not found"; then
    echo "install-mtas: $bin is missing libraries:" >&2
    ldd "$bin" | grep "not found" >&2
    exit 1
  fi
done
echo "MTAs unpacked under $ROOT"
