# Sourced before the README's blocks (readme-runner.ts): checks what each command of the README does.
# SB_STATE is the run's state folder: the expectation pending, the current README line, failures.
set -eE -o pipefail

__sb_fail() { printf '%s\n' "$*" >> "$SB_STATE/failures"; }
__sb_redact() { sed -E 's/(Bearer )[A-Za-z0-9._-]+/\1…/g'; }
__sb_where() { printf 'README line %s' "$(cat "$SB_STATE/block")"; }
# `# expect 409` / `# expect exit 1` in a block become `__sb_expect http 409` / `__sb_expect exit 1`:
# the next curl / npx / npm must end so. A file, not a variable: curl may run in a subshell ($(…), |).
__sb_expect() { printf '%s' "$2" > "$SB_STATE/expect-$1"; }
__sb_take() {
  if [[ -f "$SB_STATE/expect-$1" ]]; then cat "$SB_STATE/expect-$1"; rm -f "$SB_STATE/expect-$1"; else printf '%s' "$2"; fi
}
__sb_block() { printf '%s' "$1" > "$SB_STATE/block"; printf '\n=== README line %s (at %s s)\n' "$1" "$SECONDS"; }
__sb_block_end() {
  local f
  for f in "$SB_STATE"/expect-*; do
    [[ -e "$f" ]] || continue
    __sb_fail "README line $1: '# expect $(cat "$f")' is followed by no command it applies to"
    rm -f "$f"
  done
}
# any other command that fails stops the run (set -e); its line is recorded here
trap '__sb_rc=$?; __sb_fail "$(__sb_where): a command ended with exit $__sb_rc (the last one run: $(printf %s "$BASH_COMMAND" | head -c 300 | __sb_redact))"' ERR

# how long each command took, for the test's summary: README line, milliseconds, the command's first words
__sb_time() {
  local t0=$1; shift
  local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
  printf '%s\t%s\t%s\n' "$(cat "$SB_STATE/block")" "$ms" "$(printf '%s ' "${@:1:4}" | head -c 120 | __sb_redact)" >> "$SB_STATE/timings"
}

# curl: the README names the default port; the harness's gateway listens on $PORT. The status is read
# from the response headers (-D), so the command's own output and options stay as written.
curl() {
  local expect; expect=$(__sb_take http 2xx)
  local args=() a
  for a in "$@"; do a=${a//localhost:8080/localhost:$PORT}; args+=("${a//127.0.0.1:8080/127.0.0.1:$PORT}"); done
  local headers; headers=$(mktemp -p "$SB_STATE" headers.XXXXXX)
  local rc=0 t0=$EPOCHREALTIME
  command curl --max-time 60 -D "$headers" "${args[@]}" || rc=$?
  local url=''; for a in "${args[@]}"; do [[ $a =~ ^(https?://)?(localhost|127\.0\.0\.1): ]] && url=${a%%\?*}; done
  __sb_time "$t0" curl "$url"
  local status; status=$(awk '/^HTTP\//{s=$2} END{print s}' "$headers")
  local what; what=$(printf '%s ' curl "${args[@]}" | head -c 300 | tr '\n' ' ' | __sb_redact)
  if (( rc != 0 )); then __sb_fail "$(__sb_where): exit $rc (HTTP ${status:-none}) from: $what"; return "$rc"; fi
  if [[ $expect == 2xx && $status != 2?? ]] || [[ $expect != 2xx && $status != "$expect" ]]; then
    __sb_fail "$(__sb_where): HTTP $status, expected $expect, from: $what"; return 22
  fi
  printf '%s %s\n' "$(cat "$SB_STATE/block")" "$status" >> "$SB_STATE/statuses"
}

# npx / npm: exit 0, or what `# expect exit N` says.
__sb_exec() {
  local expect; expect=$(__sb_take exit 0)
  local rc=0 t0=$EPOCHREALTIME
  command "$@" || rc=$?
  __sb_time "$t0" "$@"
  if [[ $rc != "$expect" ]]; then
    __sb_fail "$(__sb_where): exit $rc, expected $expect, from: $(printf '%s ' "$@" | head -c 300 | __sb_redact)"
    return $(( rc ? rc : 1 ))
  fi
  return 0
}
# The first `npx switchboard` runs through npx (which must find the project's own bin); later ones run
# that bin (SB_BIN, package.json's `bin.switchboard`) directly: the same program, without npx's ~1.5 s
# of CPU each (several times that in wall time on a loaded machine), which would dominate the run.
npx() {
  if [[ ${1:-} == switchboard && -n ${SB_BIN:-} && -f "$SB_STATE/npx-resolved" ]]; then
    __sb_exec node "$SB_BIN" "${@:2}"
    return
  fi
  __sb_exec npx "$@"
  if [[ ${1:-} == switchboard ]]; then touch "$SB_STATE/npx-resolved"; fi
}
npm() { __sb_exec npm "$@"; }
