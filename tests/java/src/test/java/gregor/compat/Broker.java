/*
 * The broker the tests talk to. When GREGOR_TEST_BOOTSTRAP is set (system property or environment)
 * the tests use that address, so the same suite runs against Apache Kafka to check the tests
 * themselves. Otherwise a Gregor broker is started on a free loopback port with a temporary data
 * directory and stopped when the whole run ends (JUnit closes it with the root extension store).
 */
package gregor.compat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

public final class Broker implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 30_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final int CONNECT_TIMEOUT_MS = 200;
    private static final long POLL_INTERVAL_MS = 50;
    private static final int LOG_TAIL_BYTES = 4_000;

    private final String bootstrap;
    private final Process process; // null when the broker is external
    private final Path dataDir;
    private final Path logFile;
    private final Thread shutdownHook;

    private Broker(String bootstrap, Process process, Path dataDir, Path logFile) {
        this.bootstrap = bootstrap;
        this.process = process;
        this.dataDir = dataDir;
        this.logFile = logFile;
        // Safety net for a JVM that exits without JUnit closing the store (e.g. interrupted run).
        this.shutdownHook = process == null ? null : new Thread(process::destroyForcibly);
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    public String bootstrap() {
        return bootstrap;
    }

    public boolean external() {
        return process == null;
    }

    static String setting(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            v = System.getenv(name);
        }
        return (v == null || v.isBlank()) ? null : v.trim();
    }

    static Broker start() throws IOException, InterruptedException {
        String external = setting("GREGOR_TEST_BOOTSTRAP");
        if (external != null) {
            return new Broker(external, null, null, null);
        }
        Path root = Paths.get(System.getProperty("gregor.project.root", "../.."));
        String binSetting = setting("GREGOR_BIN");
        Path bin = binSetting != null ? Paths.get(binSetting) : root.resolve("build/gregor");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("no broker binary at " + bin.toAbsolutePath().normalize()
                    + " (build it with `make`, set GREGOR_BIN, or point GREGOR_TEST_BOOTSTRAP at a running broker)");
        }
        int port = freePort();
        Path dataDir = Files.createTempDirectory("gregor-java-");
        Path logDir = Paths.get(System.getProperty("gregor.log.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(logDir);
        Path logFile = logDir.resolve("gregor-broker.log");
        ProcessBuilder pb = new ProcessBuilder(bin.toString(), "broker",
                "--override", "listeners=PLAINTEXT://127.0.0.1:" + port,
                "--override", "log.dirs=" + dataDir);
        pb.redirectErrorStream(true);
        pb.redirectOutput(logFile.toFile());
        Process p = pb.start();
        Broker b = new Broker("127.0.0.1:" + port, p, dataDir, logFile);
        try {
            b.awaitPort(port);
        } catch (IOException | RuntimeException | InterruptedException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private void awaitPort(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("broker exited with status " + process.exitValue()
                        + " during start; log:\n" + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException notYet) {
                Thread.sleep(POLL_INTERVAL_MS);
            }
        }
        throw new IllegalStateException("broker did not listen on port " + port + " within "
                + START_TIMEOUT_MS + " ms; log:\n" + logTail());
    }

    private String logTail() {
        try {
            byte[] all = Files.readAllBytes(logFile);
            int from = Math.max(0, all.length - LOG_TAIL_BYTES);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy(); // SIGTERM: the broker's clean shutdown path
        if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run; nothing to remove
        }
        deleteTree(dataDir);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = paths.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }
}
