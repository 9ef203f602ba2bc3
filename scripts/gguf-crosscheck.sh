#!/usr/bin/env bash
# Checks Stride's GGUF reader and its test writer against an independent implementation, Hugging Face's
# @huggingface/gguf (JavaScript; needs node and npm): the test writer's GGUF of the bundled model is parsed by it,
# its metadata re-serialized by it (with value types the test writer never writes), and both files are imported:
# they must give the same tensors and tokenizer, and the same completion under --weights q8.
#   scripts/gguf-crosscheck.sh [MODEL_DIR] [F16|F32|Q8_0]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-models/fortunes-llama-2m}"
type="${2:-Q8_0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mvn -B -q -pl decoder -am package -DskipTests
mvn -B -q -pl decoder test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/gguf-classpath.txt
CP="decoder/target/test-classes:decoder/target/classes:$(cat decoder/target/gguf-classpath.txt)"
java --add-modules=jdk.incubator.vector -cp "$CP" dev.stride.decoder.testing.GgufTestWriter "$model" "$type" \
  "$work/model.gguf" 2> >(grep -v incubat >&2)
(cd "$work" && npm install --silent --no-save @huggingface/gguf@0.4.6 >/dev/null && cp "$OLDPWD/scripts/gguf/reserialize.mjs" .)
(cd "$work" && node reserialize.mjs model.gguf rebuilt.gguf)
bin/stride import-gguf "$work/model.gguf" --out "$work/a"
bin/stride import-gguf "$work/rebuilt.gguf" --out "$work/b"
python3 - "$work/a/model.safetensors" "$work/b/model.safetensors" <<'PY'
import json, struct, sys
def tensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    return {k: data[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), "tensors differ"
print(f"same {len(a)} tensors")
PY
cmp "$work/a/tokenizer.json" "$work/b/tokenizer.json" && echo "same tokenizer.json"
completion() {
  bin/stride generate --model "$1" --weights q8 --prompt "A fool and his money" --max-new-tokens 24 2>/dev/null \
    | python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])["completion_ids"])'
}
first="$(completion "$work/a")"
second="$(completion "$work/b")"
[[ "$first" == "$second" ]] || { echo "completions differ: $first against $second" >&2; exit 1; }
echo "same completion from both: $first"
