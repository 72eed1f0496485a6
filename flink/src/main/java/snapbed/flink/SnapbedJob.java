/* SnapbedJob — snapbed's seed job (Kafka -> map -> filter -> sink) for a
 * real Flink cluster, submitted over REST (docs/flink.md, "Submitting").
 *
 * What the C checker relies on, exactly:
 * - the source reads every partition of --topic from the earliest offset up
 *   to the latest offsets seen when the job starts, then the job FINISHES;
 *   the read positions live only in Flink's checkpoints (no offsets are
 *   committed to Kafka, so a consumer group decides nothing);
 * - each record becomes the line "<partition>:<offset> <VALUE>";
 * - map `uppercase` upper-cases the ASCII letters a-z of the value and keeps
 *   every other byte, as snapbed's engine does (runtime/job.c); `identity`
 *   keeps it;
 * - filter keeps a record whose mapped value starts with --filter-prefix
 *   (byte for byte; "" keeps all);
 * - the sink writes each line + "\n" into files directly in --out: visible
 *   (committed) files are named part-<uuid>-<counter>, FileSink's naming in
 *   Flink 1.20 (one uuid per writer: per subtask and attempt; the subtask
 *   index is not in the name), anything not committed has a name starting
 *   with '.'.
 *
 * Records travel as Strings with one char per byte (ISO-8859-1), written
 * back with the same charset, so the output holds the input's bytes
 * unchanged: the same as UTF-8 for valid UTF-8 values, and still exact for
 * values that are not valid UTF-8 (a UTF-8 decode would replace them).
 */
package snapbed.flink;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

public final class SnapbedJob {
    static final String PROGRAM = "snapbed-flink";
    private static final Set<String> KEYS = Set.of(
            "bootstrap", "topic", "out", "parallelism", "job-name",
            "checkpoint-interval-ms", "checkpoint-mode", "checkpoint-timeout-ms", "max-concurrent",
            "min-pause-ms", "tolerable-failed", "unaligned", "aligned-timeout-ms", "checkpoints-dir",
            "num-retained", "restart-attempts", "restart-delay-ms",
            "map", "filter-prefix", "records-per-s", "sink");
    private static final long INT_MAX = Integer.MAX_VALUE;
    private static final long DAY_MS = 86_400_000L;

    private SnapbedJob() {}

    /* "<partition>:<offset> <value>", one char per byte of the value. */
    static final class IdValue implements KafkaRecordDeserializationSchema<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<String> out) {
            byte[] v = r.value();
            out.collect(r.partition() + ":" + r.offset() + " "
                    + (v == null ? "" : new String(v, StandardCharsets.ISO_8859_1)));
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    /* The map stage; paced like snapbed's source.records_per_s: record n of
     * this subtask passes once n / rate seconds have gone by since its first.
     * Sleeping in the task thread backpressures the Kafka reader, so the
     * job runs long enough to take checkpoints under a kill. The pace
     * restarts with each task attempt (it is not state). */
    static final class MapValue implements MapFunction<String, String> {
        private static final long serialVersionUID = 1L;
        private final boolean upper;
        private final double perSubtaskPerS; /* 0: not paced */
        private transient long startNs;
        private transient long seen;

        MapValue(boolean upper, double perSubtaskPerS) {
            this.upper = upper;
            this.perSubtaskPerS = perSubtaskPerS;
        }

        @Override
        public String map(String line) {
            if (perSubtaskPerS > 0) {
                long now = System.nanoTime();
                if (seen == 0) {
                    startNs = now;
                }
                long due = startNs + (long) (seen * 1e9 / perSubtaskPerS);
                if (due > now) {
                    LockSupport.parkNanos(due - now);
                }
                seen++;
            }
            return upper ? upperAscii(line, line.indexOf(' ') + 1) : line;
        }
    }

    /* a-z to A-Z from `from` on; every other char (byte) kept, as
     * runtime/job.c's uppercase() does: no locale, no non-ASCII case. */
    static String upperAscii(String s, int from) {
        char[] c = s.toCharArray();
        for (int i = from; i < c.length; i++) {
            if (c[i] >= 'a' && c[i] <= 'z') {
                c[i] = (char) (c[i] - 'a' + 'A');
            }
        }
        return new String(c);
    }

    static final class ValuePrefix implements FilterFunction<String> {
        private static final long serialVersionUID = 1L;
        private final String prefix; /* one char per byte */

        ValuePrefix(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public boolean filter(String line) {
            return line.startsWith(prefix, line.indexOf(' ') + 1);
        }
    }

    public static void main(String[] argv) throws Exception {
        try {
            run(argv);
        } catch (Args.BadArgs e) {
            // Under /jars/<id>/run the exception is the answer (HTTP 400 or
            // 500 with the sentence); from a shell, one line and exit 2.
            if (System.getProperty("snapbed.cli") != null) {
                System.err.println(e.getMessage());
                System.exit(2);
            }
            throw e;
        }
    }

    private static void run(String[] argv) throws Exception {
        Args a = Args.parse(PROGRAM, argv, KEYS);
        String bootstrap = a.bootstrap("bootstrap");
        String topic = a.word("topic", null);
        String out = a.string("out", null);
        if (!out.startsWith("/") || out.contains("\n")) {
            throw a.bad("--out must be an absolute local folder, got '" + out + "'");
        }
        int parallelism = (int) a.number("parallelism", 1, 1, 1024);
        String jobName = a.word("job-name", "snapbed");
        long intervalMs = a.number("checkpoint-interval-ms", 1000, 10, DAY_MS);
        String mode = a.choice("checkpoint-mode", "EXACTLY_ONCE", "EXACTLY_ONCE", "AT_LEAST_ONCE");
        long timeoutMs = a.number("checkpoint-timeout-ms", 600_000, 10, DAY_MS);
        long maxConcurrent = a.number("max-concurrent", 1, 1, 1000);
        long minPauseMs = a.number("min-pause-ms", 0, 0, DAY_MS);
        long tolerable = a.number("tolerable-failed", 0, 0, INT_MAX);
        boolean unaligned = a.bool("unaligned", false);
        long alignedTimeoutMs = a.number("aligned-timeout-ms", 0, 0, DAY_MS);
        String checkpointsDir = a.string("checkpoints-dir", "");
        if (!checkpointsDir.isEmpty() && !checkpointsDir.startsWith("file:///")) {
            throw a.bad("--checkpoints-dir must be file:///ABSOLUTE/PATH, got '" + checkpointsDir + "'");
        }
        long retained = a.number("num-retained", 1, 1, 1000);
        long restartAttempts = a.number("restart-attempts", 3, 0, INT_MAX);
        long restartDelayMs = a.number("restart-delay-ms", 1000, 0, DAY_MS);
        boolean upper = a.choice("map", "uppercase", "uppercase", "identity").equals("uppercase");
        String prefix = new String(a.string("filter-prefix", "").getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        long perS = a.number("records-per-s", 0, 0, 1_000_000_000L);
        String sinkKind = a.choice("sink", "exactly-once", "exactly-once", "at-least-once", "commit-early");
        // Per-job settings, as configuration keys: the context environment of
        // a REST submission applies them to this job only (checked on
        // GET /jobs/<id>/checkpoints/config, docs/flink.md).
        Configuration conf = new Configuration();
        conf.setString("execution.checkpointing.interval", intervalMs + " ms");
        conf.setString("execution.checkpointing.mode", mode);
        conf.setString("execution.checkpointing.timeout", timeoutMs + " ms");
        conf.setString("execution.checkpointing.max-concurrent-checkpoints", Long.toString(maxConcurrent));
        conf.setString("execution.checkpointing.min-pause", minPauseMs + " ms");
        conf.setString("execution.checkpointing.tolerable-failed-checkpoints", Long.toString(tolerable));
        conf.setString("execution.checkpointing.unaligned.enabled", Boolean.toString(unaligned));
        conf.setString("execution.checkpointing.aligned-checkpoint-timeout", alignedTimeoutMs + " ms");
        conf.setString("execution.checkpointing.num-retained", Long.toString(retained));
        if (!checkpointsDir.isEmpty()) {
            conf.setString("execution.checkpointing.storage", "filesystem");
            conf.setString("execution.checkpointing.dir", checkpointsDir);
        }
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", Long.toString(restartAttempts));
        conf.setString("restart-strategy.fixed-delay.delay", restartDelayMs + " ms");
        conf.setString("pipeline.name", jobName);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.configure(conf, SnapbedJob.class.getClassLoader());
        env.setParallelism(parallelism);

        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId("snapbed-flink-" + jobName)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(new IdValue())
                .setProperty("commit.offsets.on.checkpoint", "false")
                .build();

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka")
                .map(new MapValue(upper, perS / (double) parallelism)).name("map")
                .filter(new ValuePrefix(prefix)).name("filter")
                .sinkTo(sink(sinkKind, out)).name("sink-" + sinkKind);
        env.execute(jobName);
    }

    private static Sink<String> sink(String kind, String out) {
        switch (kind) {
            case "at-least-once":
                return new VisibleSinks.Direct(out);
            case "commit-early":
                return new VisibleSinks.Early(out);
            default:
                // Flink's exactly-once file sink: in-progress ".part-*" files,
                // made visible (renamed) by the committer when the checkpoint
                // that covers them completes.
                return FileSink
                        .forRowFormat(new Path(new File(out).toURI()),
                                new SimpleStringEncoder<String>("ISO-8859-1"))
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .withRollingPolicy(OnCheckpointRollingPolicy.build())
                        .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").build())
                        .build();
        }
    }
}
