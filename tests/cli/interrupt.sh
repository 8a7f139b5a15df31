#!/usr/bin/env bash
# qsmtk run interrupted by SIGINT (one process) or SIGTERM (--jobs 2, the parent passes it on to
# its children): exit status 128 + signal, no temporary files, no chi map without its sidecar,
# no child left running; the next run completes.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
export QSMTK_THREADS=${QSMTK_THREADS:-1}
"$Q" simulate sim --size small -q > /dev/null
"$Q" simulate sim --size small --subject 02 --seed 2 -q > /dev/null

# interrupt SIGNAL WANT_RC OUT [RUN OPTIONS...]: starts the run, sends SIGNAL as soon as the first
# output of a scan appears (written under a temporary name first), checks what is left behind.
interrupt() {
  local sig=$1 want=$2 out=$3; shift 3
  "$Q" run sim "$out" participant -q --preset fast "$@" > "$out.stdout" 2> "$out.stderr" &
  local pid=$! t=0
  until [[ -n $(find "$out" -path '*/anat/*' 2>/dev/null | head -1) ]]; do
    kill -0 "$pid" 2>/dev/null || fail "$out: the run ended before it wrote anything"
    ((++t < 600)) || { kill -KILL "$pid"; fail "$out: no output after 30 s"; }
    sleep 0.05
  done
  kill -s "$sig" "$pid"
  set +e; wait "$pid"; local got=$?; set -e
  [[ $got == "$want" ]] || { cat "$out.stderr" >&2; fail "$out: exit code $got after SIG$sig, expected $want"; }
  # The children were ended and waited for: none left (their command lines name OUT).
  ! pgrep -f -- " $out " > /dev/null || { pgrep -af -- " $out " >&2; fail "$out: processes left running"; }
  # AtomicOutput's temporaries: .<name>.tmp-<pid>-<n><ext> next to the final file.
  local left
  left=$(find "$out" -name '.*.tmp-*')
  [[ -z $left ]] || fail "$out: temporary files left: $left"
  local chi
  for chi in $(find "$out" -name '*_Chimap.nii.gz'); do
    json_get "${chi%.nii.gz}.json" 'j["QsmtkRun"]["Outputs"]' > /dev/null || fail "$chi without a complete sidecar"
  done
}

check_complete() {
  local out=$1 s
  for s in 01 02; do
    assert_file "$out/sub-$s/anat/sub-${s}_Chimap.nii.gz" "$out/sub-$s/anat/sub-${s}_Chimap.json"
  done
  [[ -z $(find "$out" -name '.*.tmp-*') ]] || fail "$out: temporary files after a complete run"
}

interrupt INT 130 seq
assert_exit 0 "$Q" run sim seq participant -q --preset fast
check_complete seq

interrupt TERM 143 jobs --jobs 2
assert_exit 0 "$Q" run sim jobs participant -q --preset fast --jobs 2
check_complete jobs
echo "interrupt: ok"
