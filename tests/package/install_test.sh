#!/usr/bin/env bash
# The .deb as an operator gets it: built with cpack from the build folder, unpacked into a temporary
# root (dpkg -x), then the installed binary started the way the systemd unit starts it: the unit's
# ExecStartPre makes the key, its Environment= lines (every one a real flag) point at the installed
# scenarios, and the server answers without ever printing the key.
set -euo pipefail
build=${1:-build}
build=$(cd "$build" && pwd)
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package test: $*" >&2
  exit 1
}

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || fail "cpack: $(cat "$work/cpack.log")"
deb=$(ls "$work"/pkg/roundtable_*.deb)
info=$(dpkg-deb -I "$deb")
contents=$(dpkg-deb -c "$deb")
grep -q "^ Depends:.*libsqlite3" <<<"$info" || fail "Depends has no libsqlite3"
for path in usr/bin/roundtable-facilitator usr/bin/roundtable-participant usr/lib/systemd/system/roundtable.service \
  usr/share/roundtable/scenarios/warm-up.json usr/share/doc/roundtable/roundtable.default; do
  grep -q " \./$path\$" <<<"$contents" || fail "the package has no /$path"
done
grep -E " \./usr/bin/(facilitator|participant)\$" <<<"$contents" && fail "unprefixed names in /usr/bin"

root="$work/root"
dpkg -x "$deb" "$root"
bin="$root/usr/bin/roundtable-facilitator"
[[ $("$bin" --version) == "facilitator (Roundtable) "* ]] || fail "--version"
[[ $("$root/usr/bin/roundtable-participant" --version) == "participant (Roundtable) "* ]] || fail "participant --version"

unit="$root/usr/lib/systemd/system/roundtable.service"
grep -q "^ExecStart=/usr/bin/roundtable-facilitator serve$" "$unit" || fail "ExecStart"
grep -q "^DynamicUser=yes$" "$unit" || fail "DynamicUser"
grep -q "^StateDirectory=roundtable$" "$unit" || fail "StateDirectory"
help=$("$bin" serve --help)
state="$work/state"
mkdir -p "$state"
env_args=()
while IFS= read -r line; do
  name=${line%%=*}
  value=${line#*=}
  grep -q "(Env:$name)" <<<"$help" || fail "the unit sets $name, which serve does not read"
  value=${value//\/var\/lib\/roundtable/$state}
  value=${value//\/usr\/share/$root\/usr\/share}
  [[ "$name" == ROUNDTABLE_PORT ]] && value=0
  env_args+=("$name=$value")
done < <(sed -n 's/^Environment=//p' "$unit")

# The unit's ExecStartPre, as systemd runs it (STATE_DIRECTORY set, UMask=0077): the key, once.
pre=$(sed -n "s/^ExecStartPre=\/bin\/sh -c '\(.*\)'$/\1/p" "$unit")
[[ -n "$pre" ]] || fail "no ExecStartPre"
(umask 0077 && STATE_DIRECTORY="$state" sh -c "$pre")
[[ $(stat -c %a "$state/key") == 600 ]] || fail "the key file is not 0600"
key=$(cat "$state/key")
((${#key} >= 22)) || fail "the key has ${#key} characters"
(umask 0077 && STATE_DIRECTORY="$state" sh -c "$pre")
[[ $(cat "$state/key") == "$key" ]] || fail "a second start made a new key"

env -i PATH=/usr/bin:/bin "${env_args[@]}" "$bin" serve >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "^listening on" "$work/out" && break
  sleep 0.1
done
port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/out")
[[ -n "$port" ]] || fail "the installed server did not start: $(cat "$work/out")"
grep -q "^scenarios: 7 from $root/usr/share/roundtable/scenarios; database: $state/roundtable.db" "$work/out" ||
  fail "not the installed scenarios and state folder: $(cat "$work/out")"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
read -r status <&3
[[ "$status" == "HTTP/1.1 200"* ]] || fail "/healthz answered $status"
exec 3>&-
[[ -f "$state/roundtable.db" ]] || fail "no database in the state folder"
grep -qF "$key" "$work/out" && fail "the key was printed"
echo "package test: $(basename "$deb") installs, starts as its unit says, answers, keeps its key quiet"
