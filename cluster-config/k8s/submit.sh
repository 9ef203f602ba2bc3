#!/usr/bin/env bash
# Stride on Kubernetes, cluster mode: the driver runs in a pod, each executor in a GPU pod built from
# executor-pod-template.yaml. Arguments after the environment are job options. Example:
#
#   K8S_MASTER=k8s://https://k8s-api.example.com:6443 IMAGE=registry.example.com/stride:0.1.0 \
#   INPUT=s3a://prompts/2026-11-29 OUTPUT=s3a://stride/out/2026-11-29 \
#   MODEL_ARCHIVE=s3a://stride/models/llama-3-8b.tar.gz HEADS_ARCHIVE=s3a://stride/models/llama-3-8b-heads.tar.gz \
#   cluster-config/k8s/submit.sh --mode mtp --max-new-tokens 256 --max-batch 16
#
# With DEVICE=cpu the executors are plain pods (no template, no GPU) sized by ../spark-defaults-cpu.conf.
#
#   K8S_MASTER       the API server, k8s://https://HOST:PORT
#   IMAGE            an image with Spark 4.0.1, the job jar and the discovery script (see Dockerfile)
#   NAMESPACE        default stride; SERVICE_ACCOUNT (default spark) needs rights to create executor pods
#   STRIDE_JAR       default local:///opt/stride/stride-job.jar (inside the image)
#   MODELS_PVC       with MODEL_PATH: a PersistentVolumeClaim holding the models (ReadOnlyMany), mounted read-only
#                    at /models in the driver, which checks the path, and every executor (MODEL_PATH=/models/llama-3-8b)
#   plus INPUT, OUTPUT, MODEL_ARCHIVE or MODEL_PATH, ... (see ../job-args.sh)
set -euo pipefail
# readlink -f: started through a symlink (a bin/ entry), the siblings are found where the script lives.
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/../job-args.sh"
: "${K8S_MASTER:?set K8S_MASTER to k8s://https://API_SERVER:PORT}"
: "${IMAGE:?set IMAGE to the Stride image (see cluster-config/k8s/Dockerfile)}"

volume=()
if [[ -n ${MODELS_PVC:-} ]]; then
  for role in driver executor; do
    pvc=spark.kubernetes.$role.volumes.persistentVolumeClaim.models
    volume+=(--conf "$pvc.options.claimName=$MODELS_PVC" --conf "$pvc.mount.path=/models"
      --conf "$pvc.mount.readOnly=true")
  done
fi

# The spark-submit exit code follows the driver pod only in recent Spark versions (SPARK-26365); nightly.sh
# therefore also relies on the report, which fails when the run left no summary.
gpu=()
if [[ $USE_GPUS == true ]]; then
  # The pod template asks for an nvidia.com/gpu and tolerates the GPU nodes' taint.
  gpu=(--conf spark.kubernetes.executor.podTemplateFile="$here/executor-pod-template.yaml"
    --conf spark.executor.resource.gpu.vendor=nvidia.com)
fi

exec spark-submit \
  --master "$K8S_MASTER" \
  --deploy-mode cluster \
  "${SUBMIT_ARGS[@]}" \
  --conf spark.kubernetes.namespace="${NAMESPACE:-stride}" \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName="${SERVICE_ACCOUNT:-spark}" \
  "${gpu[@]}" \
  --conf spark.kubernetes.submission.waitAppCompletion=true \
  "${volume[@]}" \
  "${STRIDE_JAR:-local:///opt/stride/stride-job.jar}" "${JOB_ARGS[@]}" "$@"
