#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript, spark.worker.resource.gpu.discoveryScript):
# prints the GPUs this executor may use, from nvidia-smi, as {"name":"gpu","addresses":["0","1"]}.
#
# Without nvidia-smi, or when it fails, the address list is empty: Spark then refuses to start an executor that asked
# for GPUs and says which resource is short, which is clearer than a job that dies later on a missing device.
# In a container (Kubernetes device plugin, YARN with Docker) nvidia-smi lists only the GPUs given to it, from 0.
set -uo pipefail

addresses=()
if command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r index; do
    index=${index//[[:space:]]/}
    if [[ $index =~ ^[0-9]+$ ]]; then
      addresses+=("\"$index\"")
    fi
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)
fi
joined=$(IFS=,; echo "${addresses[*]}")
echo "{\"name\":\"gpu\",\"addresses\":[$joined]}"
