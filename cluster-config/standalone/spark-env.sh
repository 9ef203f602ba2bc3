# Lines for $SPARK_HOME/conf/spark-env.sh on every standalone worker with GPUs: the worker finds its GPUs with the
# discovery script and hands them out to executors, which then need no discovery script of their own.
# Set the amount to the GPUs of the host.
SPARK_WORKER_OPTS="${SPARK_WORKER_OPTS:-} -Dspark.worker.resource.gpu.amount=2 \
-Dspark.worker.resource.gpu.discoveryScript=/opt/stride/cluster-config/getGpusResources.sh"
export SPARK_WORKER_OPTS
