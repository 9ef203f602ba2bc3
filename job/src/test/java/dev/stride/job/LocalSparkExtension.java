package dev.stride.job;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A local SparkSession for one test class (register it as a static field), stopped after the class. */
public final class LocalSparkExtension implements BeforeAllCallback, AfterAllCallback {

    private final String master;
    private SparkSession spark;

    public LocalSparkExtension(String master) {
        this.master = master;
    }

    public SparkSession session() {
        return spark;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        spark = SparkSession.builder()
                .master(master)
                .appName(context.getDisplayName())
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }
}
