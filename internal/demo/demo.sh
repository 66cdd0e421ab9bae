#!/usr/bin/env bash
# mcpzero demo: the kernel's whole life cycle on a temporary data directory.
# Usage: bash internal/demo/demo.sh BIN_DIR   (what `make demo` runs)
set -euo pipefail
BIN="${1:-bin}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MZ="$(cd "$BIN" && pwd)/mcpzero"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/mcpzero-demo.XXXXXX")"
WORK="$DATA/work"
mkdir -p "$WORK"
trap 'rm -rf "$DATA"' EXIT
EX="$ROOT/plugins/examples"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ mcpzero %s\n' "$*"; "$MZ" --data-dir "$DATA" "$@"; }
fails() { # a command that must fail: print its one-line error
  printf '$ mcpzero %s   # must fail\n' "$*"
  if "$MZ" --data-dir "$DATA" "$@" 2>"$WORK/err"; then echo "demo: expected a failure" >&2; exit 1; fi
  sed 's/^/  /' "$WORK/err"
}

echo "mcpzero demo, data directory $DATA (deleted at the end)"

step "1. An operator key (private key mode 0600; its public key is trusted by this data dir)"
run key generate --name operator

step "2. Sign, verify and install the example plugins"
for p in counter kv compute; do
  run plugin sign "$EX/$p/$p.wasm" --key "$DATA/keys/operator.key" --manifest "$EX/$p/manifest.json" --out "$WORK/$p.signed.json"
done
run plugin verify "$EX/counter/counter.wasm" --manifest "$WORK/counter.signed.json"
for p in counter kv compute; do
  run plugin install "$EX/$p/$p.wasm" --manifest "$WORK/$p.signed.json"
done
run plugin list

step "3. Bad plugins are refused with a reason"
cp "$EX/counter/counter.wasm" "$WORK/tampered.wasm"
printf '\x00' >>"$WORK/tampered.wasm"
fails plugin install "$WORK/tampered.wasm" --manifest "$WORK/counter.signed.json"
run key generate --name stranger --out "$WORK/keys" >/dev/null
run plugin sign "$EX/counter/counter.wasm" --key "$WORK/keys/stranger.key" --manifest "$EX/counter/manifest.json" --out "$WORK/stranger.signed.json" >/dev/null
fails plugin install "$EX/counter/counter.wasm" --manifest "$WORK/stranger.signed.json"

step "4. Spawn an agent with resource constraints and attach plugins"
AGENT=$("$MZ" --data-dir "$DATA" --json agent spawn --memory-pages 8 --state-bytes 65536 --deadline 2s | sed -n 's/^  "id": "\(.*\)",$/\1/p')
echo "spawned $AGENT (memory 8 pages, state 64 KiB, deadline 2s)"
run agent attach "$AGENT" counter
run agent attach "$AGENT" kv

step "5. Execute methods (each execute commits its state change and record atomically)"
run agent exec "$AGENT" increment
run agent exec "$AGENT" increment --input 41
run agent exec "$AGENT" kv.put --input "greeting=hello, world"
run agent exec "$AGENT" kv.get --input greeting

step "6. Snapshot, change, recover"
SNAP=$("$MZ" --data-dir "$DATA" --json agent snapshot "$AGENT" | sed -n 's/^  "snapshot": "\(.*\)",$/\1/p')
echo "snapshot $SNAP"
run agent exec "$AGENT" increment --input 1000
run agent exec "$AGENT" kv.delete --input greeting
run agent recover "$AGENT" "$SNAP"
run agent exec "$AGENT" counter.get
run agent exec "$AGENT" kv.get --input greeting

step "7. Failures change nothing: a trap, the state limit, a runaway plugin, memory exhaustion"
fails agent exec "$AGENT" increment --input not-a-number
{ printf 'big='; head -c 70000 /dev/zero | tr '\0' x; } >"$WORK/big.txt"
fails agent exec "$AGENT" kv.put --input-file "$WORK/big.txt"   # 70 KB > the 64 KiB state limit
run agent exec "$AGENT" counter.get
cat >"$WORK/faults.json" <<'JSON'
{"name": "faults", "version": "0.1.0", "wasm_sha256": "", "methods": ["loop", "grow"], "limits": {"memory_pages": 1}}
JSON
run plugin sign "$ROOT/plugins/testdata/faults.wasm" --key "$DATA/keys/operator.key" --manifest "$WORK/faults.json" --out "$WORK/faults.signed.json"
run plugin install "$ROOT/plugins/testdata/faults.wasm" --manifest "$WORK/faults.signed.json"
RUNAWAY=$("$MZ" --data-dir "$DATA" --json agent spawn --memory-pages 4 --fuel 1000000 --deadline 2s | sed -n 's/^  "id": "\(.*\)",$/\1/p')
run agent attach "$RUNAWAY" faults
fails agent exec "$RUNAWAY" loop   # an infinite loop: stopped by its fuel budget (the deadline is the safety net)
fails agent exec "$RUNAWAY" grow   # grows memory until the 4-page limit refuses

step "8. Every run is deterministic: the interpreter engine gives the same output and state root"
root() { sed -n 's/^  "state_root": "\(.*\)",$/\1/p'; }
SNAP2=$("$MZ" --data-dir "$DATA" --json agent snapshot "$AGENT" | sed -n 's/^  "snapshot": "\(.*\)",$/\1/p')
A=$("$MZ" --data-dir "$DATA" --json agent exec "$AGENT" increment --input 7 --engine compiler | root)
echo "compiler:    increment 7 -> state root $A"
"$MZ" --data-dir "$DATA" agent recover "$AGENT" "$SNAP2" >/dev/null
B=$("$MZ" --data-dir "$DATA" --json agent exec "$AGENT" increment --input 7 --engine interpreter | root)
echo "interpreter: increment 7 -> state root $B"
[ "$A" = "$B" ] && echo "identical state roots on both engines" || { echo "demo: engines disagree" >&2; exit 1; }

step "9. A pure function without kernel state"
run run "$EX/compute/compute.wasm" --func add --args 27,3
run run "$EX/compute/compute.wasm" --func fib --args 50 --engine interpreter

step "10. Inspect, terminate"
run agent inspect "$AGENT" --records 5
run agent terminate "$AGENT"
fails agent exec "$AGENT" counter.get
run agent list

step "11. The operation log: every operation above is a signed, Merkle-committed entry (docs/AUDIT.md)"
MZV="$(cd "$BIN" && pwd)/mcpzero-verify"
run audit list --limit 6
run audit verify
"$MZ" --data-dir "$DATA" audit key >"$WORK/kernel.pub"
echo "kernel verifier key for auditors: $(cat "$WORK/kernel.pub")"
run audit export 7 --out "$WORK/op.audit"   # entry 7: the first execute above
printf '$ mcpzero-verify audit op.audit --key kernel.pub\n'
"$MZV" audit "$WORK/op.audit" --key "$WORK/kernel.pub"
sed 's/"index": [0-9]*/"index": 1/' "$WORK/op.audit" >"$WORK/tampered.audit"
printf '$ mcpzero-verify audit tampered.audit --key kernel.pub   # must fail\n'
if "$MZV" audit "$WORK/tampered.audit" --key "$WORK/kernel.pub" 2>"$WORK/err"; then echo "demo: tampered export accepted" >&2; exit 1; fi
sed 's/^/  /' "$WORK/err"
run audit replay

step "12. Proofs: the kernel proves a logged execute by replay; anyone verifies the bundle offline (docs/KERNEL.md, Proofs)"
# selftest.check is the smallest provable method (25 steps, no input or
# output): its circuit shape's dev setup takes about a minute on two cores.
# Keys go to the demo's own directory, never the user's cache.
KEYS="$DATA/zk-keys"
run plugin sign "$EX/selftest/selftest.wasm" --key "$DATA/keys/operator.key" --manifest "$EX/selftest/manifest.json" --out "$WORK/selftest.signed.json" >/dev/null
run plugin install "$EX/selftest/selftest.wasm" --manifest "$WORK/selftest.signed.json"
PROVER=$("$MZ" --data-dir "$DATA" --json agent spawn | sed -n 's/^  "id": "\(.*\)",$/\1/p')
run agent attach "$PROVER" selftest
run agent exec "$PROVER" check
fails agent prove "$AGENT" --keys-dir "$KEYS"   # its latest execute is the counter's: it used agent state
run agent prove "$PROVER" --out "$WORK/check.proof" --keys-dir "$KEYS"
run agent proofs "$PROVER"
SHAPE=$("$MZ" inspect "$WORK/check.proof" --json | sed -n 's/^ *"shape": "\(.*\)",$/\1/p' | head -1)
run setup --show --shape "$SHAPE" --keys-dir "$KEYS" --export-vk "$WORK/keys.vks" >/dev/null
echo "pinned verifying-key set: $WORK/keys.vks"
run verify "$WORK/check.proof" --vk "$WORK/keys.vks"
printf '$ mcpzero-verify verify check.proof --vk keys.vks\n'
"$MZV" verify "$WORK/check.proof" --vk "$WORK/keys.vks"
cp "$WORK/check.proof" "$WORK/tampered.proof"   # flip one bit of byte 300 (inside the segment proof)
B=$(od -An -tu1 -j300 -N1 "$WORK/check.proof" | tr -d ' ')
printf "$(printf '\\%03o' $((B ^ 1)))" | dd of="$WORK/tampered.proof" bs=1 seek=300 conv=notrunc 2>/dev/null
printf '$ mcpzero-verify verify tampered.proof --vk keys.vks   # must fail\n'
if "$MZV" verify "$WORK/tampered.proof" --vk "$WORK/keys.vks" 2>"$WORK/err"; then echo "demo: tampered bundle accepted" >&2; exit 1; fi
sed 's/^/  /' "$WORK/err"
PROOF_SEQ=$("$MZ" --data-dir "$DATA" --json agent proofs "$PROVER" | sed -n 's/^    "seq": \([0-9]*\),$/\1/p' | head -1)
run audit export --seq "$PROOF_SEQ" --out "$WORK/proof.audit"   # the proof's log entry embeds the bundle
printf '$ mcpzero-verify audit proof.audit --key kernel.pub --vk keys.vks\n'
"$MZV" audit "$WORK/proof.audit" --key "$WORK/kernel.pub" --vk "$WORK/keys.vks"
run audit replay

echo
echo "demo complete: every step above ran in a fresh process on $DATA"
