#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has neither Maven nor Java: a jlink-ed Java 17 runtime,
# the decoder jar (which must carry the GPU kernels: build where nvcc is installed) and its runtime jars with only
# their linux-x86_64 natives, the test classes with JUnit, and the fixture model. Writes target/gpu-bundle/ and
# target/stride-gpu-bundle.tar.gz, which must stay under 64 MiB; prints both sizes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/gpu-bundle"
TARBALL="$ROOT/target/stride-gpu-bundle.tar.gz"
LIMIT=$((64 << 20))
# java.desktop: jinjava needs java.beans; java.sql: jackson and jinjava; jdk.unsupported: JNA and guava;
# jdk.zipfs: the JUnit launcher scans the test jar for test classes.
MODULES=java.base,java.desktop,java.logging,java.management,jdk.management,java.sql,jdk.incubator.vector,jdk.unsupported,jdk.zipfs
cd "$ROOT"

mvn -B -q ${MVN_FLAGS:-} -pl decoder -am -DskipTests package
mvn -B -q ${MVN_FLAGS:-} -pl decoder dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/decoder/target/test-classpath.txt"
DECODER=decoder/target
if ! unzip -l "$DECODER/stride-decoder.jar" | grep -q 'cuda/stride_kernels.fatbin'; then
  echo "make-gpu-bundle: $DECODER/stride-decoder.jar has no GPU kernels; build where nvcc is installed" >&2
  exit 1
fi

rm -rf "$OUT" "$TARBALL"
mkdir -p "$OUT/lib" "$OUT/test-lib" "$OUT/model/fortunes-llama-2m"
jlink --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$OUT/jre" \
  2> >(grep -v 'Using incubator modules' >&2)
strip --strip-unneeded "$OUT/jre/lib/server/libjvm.so" 2>/dev/null || true

cp "$DECODER/stride-decoder.jar" "$OUT/"
cp "$DECODER"/lib/*.jar "$OUT/lib/"
# Natives for other platforms are most of these jars; the GPU machines are linux-x86_64.
zip -q -d "$OUT"/lib/tokenizers-*.jar 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*'
zip -q -d "$OUT"/lib/jna-*.jar 'com/sun/jna/*/*' -x 'com/sun/jna/linux-x86-64/*' >/dev/null 2>&1 || true
zip -q -d "$OUT"/lib/jcuda-natives-*.jar 'lib/libJCudaRuntime*' 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*'
jar --create --file "$OUT/stride-decoder-tests.jar" -C "$DECODER/test-classes" .
tr ':' '\n' < "$DECODER/test-classpath.txt" \
  | grep -E '/(junit-jupiter-(api|engine|params)|junit-platform-(commons|engine|launcher)|opentest4j|apiguardian-api)-[^/]*\.jar$' \
  | xargs -I{} cp {} "$OUT/test-lib/"
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json references.jsonl; do
  cp "models/fortunes-llama-2m/$f" "$OUT/model/fortunes-llama-2m/"
done
cp scripts/gpu-check.sh "$OUT/"

tar -C "$(dirname "$OUT")" -czf "$TARBALL" "$(basename "$OUT")"
size=$(stat -c %s "$TARBALL")
echo "bundle: $OUT ($(du -sm "$OUT" | cut -f1) MiB unpacked)"
echo "bundle: $TARBALL ($((size >> 20)) MiB, limit 64 MiB)"
if (( size >= LIMIT )); then
  echo "make-gpu-bundle: the bundle is over 64 MiB" >&2
  exit 1
fi
