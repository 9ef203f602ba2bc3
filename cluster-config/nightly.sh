#!/usr/bin/env bash
# Nightly Stride pipeline: generate into a dated output directory, then write the cost report for it.
#
#   CLUSTER=k8s OUTPUT_ROOT=s3a://stride/nightly INPUT=s3a://prompts/latest MODEL_ARCHIVE=s3a://stride/models/m.tar.gz \
#   HEADS_ARCHIVE=s3a://stride/models/m-heads.tar.gz K8S_MASTER=... IMAGE=... \
#   cluster-config/nightly.sh [job options, e.g. --mode mtp --max-new-tokens 256; mtp needs the heads]
#
# The job always runs with --resume, so rerunning a failed night continues from the partitions that were committed
# instead of starting over. Exit code: the job's when it fails (no report then), else the report's: 3 when the run
# left no summary (also the tell of a failed Kubernetes driver whose spark-submit still exited 0).
#
#   CLUSTER         k8s, yarn or standalone: the CLUSTER/submit.sh that runs the job (default k8s)
#   OUTPUT_ROOT     required; the night's run writes to OUTPUT_ROOT/DATE
#   RUN_DATE        DATE, YYYY-MM-DD (default: today in UTC); set it to rerun or backfill a night
#   REPORT_ROOT     the report goes to REPORT_ROOT/DATE (default stride-out/reports)
#   GPU_HOUR_PRICE, CPU_HOUR_PRICE   prices for the report (default: the report's)
#   SUBMIT, STRIDE_JOB   the submit script and the stride-job launcher (default: CLUSTER/submit.sh, bin/stride-job)
#   plus what the submit script reads (see job-args.sh and CLUSTER/submit.sh)
# bin/stride-job reads the output through Hadoop's FileSystem: HDFS needs HADOOP_CONF_DIR (added to its class path
# when set), object stores their connector jars in STRIDE_CLASSPATH (hadoop-aws and its AWS SDK bundle for s3a://).
set -uo pipefail
# readlink -f: started through a symlink (a bin/ entry), the siblings are found where the script lives.
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

date=${RUN_DATE:-$(date -u +%F)}
if [[ ! $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
  echo "nightly: RUN_DATE must be YYYY-MM-DD, got '$date'" >&2
  exit 2
fi
: "${OUTPUT_ROOT:?set OUTPUT_ROOT to the directory that holds one output directory per night}"
export OUTPUT=${OUTPUT_ROOT%/}/$date
if [[ -z ${SUBMIT:-} && ! ${CLUSTER:-k8s} =~ ^(k8s|yarn|standalone)$ ]]; then
  # Otherwise the missing CLUSTER/submit.sh reads as a failed job (exit 127) to be resumed.
  echo "nightly: CLUSTER must be k8s, yarn or standalone, got '$CLUSTER'" >&2
  exit 2
fi
submit=${SUBMIT:-$here/${CLUSTER:-k8s}/submit.sh}
stride_job=${STRIDE_JOB:-$here/../bin/stride-job}
report_dir=${REPORT_ROOT:-stride-out/reports}/$date

echo "nightly: $date: generating into $OUTPUT with $submit" >&2
"$submit" --resume "$@"
rc=$?
if [[ $rc -ne 0 ]]; then
  echo "nightly: $date: the job failed (exit $rc); no report. Rerun with RUN_DATE=$date to resume it." >&2
  exit "$rc"
fi

prices=()
if [[ -n ${GPU_HOUR_PRICE:-} ]]; then prices+=(--gpu-hour-price "$GPU_HOUR_PRICE"); fi
if [[ -n ${CPU_HOUR_PRICE:-} ]]; then prices+=(--cpu-hour-price "$CPU_HOUR_PRICE"); fi
"$stride_job" report --input "$OUTPUT" --output "$report_dir" "${prices[@]}"
rc=$?
if [[ $rc -ne 0 ]]; then
  echo "nightly: $date: the report failed (exit $rc)" >&2
else
  echo "nightly: $date: report in $report_dir" >&2
fi
exit "$rc"
