#!/usr/bin/env bash
# Stride on a Spark standalone cluster, client mode: the driver runs here, executors on workers that announce their
# GPUs (see spark-env.sh). Arguments after the environment are job options. Example:
#
#   SPARK_MASTER=spark://spark-master.example.com:7077 STRIDE_JAR=/opt/stride/stride-job.jar \
#   INPUT=/shared/prompts OUTPUT=/shared/stride/2026-11-29 MODEL_PATH=/shared/models/llama-3-8b \
#   cluster-config/standalone/submit.sh --max-new-tokens 256
#
# On CPU workers (no GPUs announced) add DEVICE=cpu: the executors then use ../spark-defaults-cpu.conf, which
# requests no GPU (with the GPU file they would wait forever for one: "Initial job has not accepted any resources").
#
#   SPARK_MASTER  the master URL, spark://HOST:7077
#   STRIDE_JAR    the shaded job jar (job/target/stride-job.jar)
#   plus INPUT, OUTPUT, MODEL_ARCHIVE or MODEL_PATH, ... (see ../job-args.sh)
set -euo pipefail
# readlink -f: started through a symlink (a bin/ entry), the siblings are found where the script lives.
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/../job-args.sh"
: "${SPARK_MASTER:?set SPARK_MASTER to spark://HOST:7077}"
: "${STRIDE_JAR:?set STRIDE_JAR to the shaded job jar}"

exec spark-submit \
  --master "$SPARK_MASTER" \
  --deploy-mode client \
  "${SUBMIT_ARGS[@]}" \
  "$STRIDE_JAR" "${JOB_ARGS[@]}" "$@"
