#!/usr/bin/env bash
# Stride on YARN, cluster mode: the driver runs in the application master, executors in containers that each get
# yarn.io/gpu from YARN's GPU scheduling (yarn.resource-types=yarn.io/gpu and the NodeManager GPU plugin must be on).
# Arguments after the environment are job options. Example:
#
#   STRIDE_JAR=hdfs:///apps/stride/stride-job.jar QUEUE=gpu \
#   INPUT=hdfs:///data/prompts OUTPUT=hdfs:///data/stride/2026-11-29 \
#   MODEL_ARCHIVE=hdfs:///models/llama-3-8b.tar.gz cluster-config/yarn/submit.sh --max-new-tokens 256
#
#   STRIDE_JAR   the shaded job jar (job/target/stride-job.jar), local or on HDFS
#   QUEUE        the YARN queue (default default)
#   plus INPUT, OUTPUT, MODEL_ARCHIVE or MODEL_PATH, ... (see ../job-args.sh)
# The discovery script from spark-defaults.conf must be installed on every NodeManager host.
set -euo pipefail
# readlink -f: started through a symlink (a bin/ entry), the siblings are found where the script lives.
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/../job-args.sh"
: "${STRIDE_JAR:?set STRIDE_JAR to the shaded job jar}"

# One attempt: a second one would start over; rerun with --resume instead (nightly.sh does).
gpu=()
if [[ $USE_GPUS == true ]]; then
  gpu=(--conf spark.yarn.resourceGpuDeviceName=yarn.io/gpu)
fi

exec spark-submit \
  --master yarn \
  --deploy-mode cluster \
  --queue "${QUEUE:-default}" \
  "${SUBMIT_ARGS[@]}" \
  "${gpu[@]}" \
  --conf spark.yarn.maxAppAttempts=1 \
  "$STRIDE_JAR" "${JOB_ARGS[@]}" "$@"
