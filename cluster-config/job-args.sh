# Sourced by the submit scripts: turns the environment into the spark-submit and stride-job arguments that are the
# same on every cluster manager.
#
#   INPUT, OUTPUT        required: the job's --input and --output, on storage every executor reaches (HDFS, s3a://,
#                        gs://, or a filesystem mounted at the same path everywhere)
#   MODEL_ARCHIVE        the model as an archive URI (model.tar.gz, .tgz, .tar or .zip holding config.json,
#                        tokenizer.json and the safetensors at its root); Spark unpacks it in every container as
#                        ./model (--archives URI#model) and the job finds it by that name (--model model)
#   MODEL_PATH           or the model directory on a shared filesystem mounted at this path on every node, or a
#                        Hadoop URI (hdfs://, s3a://, abfss://): each executor JVM copies it once into spark.local.dir
#   HEADS_ARCHIVE        optional, prediction heads shipped the same way (as ./heads)
#   HEADS_PATH           or the heads directory on the shared filesystem
#   DEVICE               the job's --device (default cuda: the GPU Spark assigned to the task); cpu runs on CPU
#                        executors that request no GPU
#   SPARK_PROPERTIES     properties file (default: cluster-config/spark-defaults-cpu.conf with DEVICE=cpu, else
#                        cluster-config/spark-defaults.conf)
#
# Sets SUBMIT_ARGS (spark-submit options), JOB_ARGS (the job's subcommand and options) and USE_GPUS (false with
# DEVICE=cpu: the submit scripts then leave out their GPU settings); the other job options
# (--mode, --tree, --max-new-tokens, --max-batch, --threads, --seed, --resume ...) are the submit script's arguments.

CONFIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${INPUT:?set INPUT to the prompt Parquet file, directory or glob}"
: "${OUTPUT:?set OUTPUT to the output directory}"

DEVICE=${DEVICE:-cuda}
if [[ $DEVICE == cpu ]]; then
  USE_GPUS=false
  default_properties=$CONFIG_DIR/spark-defaults-cpu.conf
else
  USE_GPUS=true
  default_properties=$CONFIG_DIR/spark-defaults.conf
fi
SUBMIT_ARGS=(--properties-file "${SPARK_PROPERTIES:-$default_properties}"
  --class dev.stride.job.StrideJob --name stride-job)
JOB_ARGS=(run --input "$INPUT" --output "$OUTPUT" --device "$DEVICE")
archives=()

# ship NAME ARCHIVE_URI SHARED_PATH: one of the two, as --archives URI#NAME or a path.
ship() {
  if [[ -n $2 && -n $3 ]]; then
    echo "set either ${1^^}_ARCHIVE or ${1^^}_PATH, not both" >&2
    exit 2
  elif [[ -n $2 ]]; then
    archives+=("$2#$1")
    JOB_ARGS+=(--"$1" "$1")
  elif [[ -n $3 ]]; then
    JOB_ARGS+=(--"$1" "$3")
  fi
}
ship model "${MODEL_ARCHIVE:-}" "${MODEL_PATH:-}"
ship heads "${HEADS_ARCHIVE:-}" "${HEADS_PATH:-}"
if [[ -z ${MODEL_ARCHIVE:-}${MODEL_PATH:-} ]]; then
  echo "set MODEL_ARCHIVE (shipped with --archives) or MODEL_PATH (a shared filesystem path)" >&2
  exit 2
fi
if [[ ${#archives[@]} -gt 0 ]]; then
  SUBMIT_ARGS+=(--archives "$(IFS=,; echo "${archives[*]}")")
fi
