/* FlinkJob — snapbed's job written for Apache Flink, the baseline of
 * bench/flink.sh: a bounded Kafka source (earliest to the latest offsets at
 * start), map (upper-case the value), filter (keep values starting with "A"),
 * an exactly-once FileSink (row format, one part file per subtask rolled on
 * every checkpoint), checkpoints every second, EXACTLY_ONCE, in a local
 * MiniCluster started here.
 *
 * Usage: FlinkJob BOOTSTRAP TOPIC OUT_DIR [PARALLELISM] [REST_PORT] [RECORDS_PER_S]
 *
 * RECORDS_PER_S (0, the default, is no limit) paces the input over all
 * subtasks as snapbed's `source.records_per_s` does, so that both engines
 * run as long and take as many checkpoints at the same rate.
 *
 * Prints one JSON line on stdout (everything else goes to stderr): records
 * in, out and committed, wall time from job submission to the job's end,
 * records/s, the read span (see UpperCaseValue) and the end-to-end
 * durations of the completed checkpoints.
 *
 * Records are lines "<partition>:<offset> <VALUE>", the format of snapbed's
 * sink, so that bench/flink.sh can compare the two outputs line by line.
 *
 * Checkpoint durations come from the MiniCluster's REST API
 * (/jobs/<id>/checkpoints, its "history"), read once the job has finished:
 * that is what a Flink user sees in the web UI, it covers every checkpoint
 * when web.checkpoints.history is large enough (set below; the default keeps
 * 10), and it needs nothing in the job itself, unlike a metric reporter,
 * which only samples gauges such as lastCheckpointDuration and can miss
 * checkpoints between two reports. The MiniCluster is started here, not by
 * env.execute(), because the local executor closes its cluster, REST API
 * included, as soon as the job ends. */
package snapbed.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.accumulators.LongMinimum;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

public final class FlinkJob {
    private static final ObjectMapper JSON = new ObjectMapper();
    /* Large enough for every checkpoint of a long bounded run. */
    private static final int CHECKPOINT_HISTORY_MAX = 100_000;

    private FlinkJob() {}

    /* "<partition>:<offset> <value>", snapbed's record id and value. */
    static final class IdValueDeserializer implements KafkaRecordDeserializationSchema<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<String> out) {
            String value = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
            out.collect(r.partition() + ":" + r.offset() + " " + value);
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    /* snapbed's `map: uppercase`: the value upper-cased, the id kept. The
     * accumulators count records in (no restarts here, so no replays) and
     * time the read span, from the first subtask's start to the last record
     * (System.nanoTime: one JVM, so comparable across subtasks), which is
     * what snapbed's trace gives from source_started to source_finished:
     * the rate without deployment and without the final checkpoint. */
    static final class UpperCaseValue extends RichMapFunction<String, String> {
        private static final long serialVersionUID = 1L;
        private final LongCounter in = new LongCounter();
        private final LongMinimum startNs = new LongMinimum();
        private final LongMaximum lastRecordNs = new LongMaximum();
        private final double recordsPerS; /* this subtask's share; 0 = unlimited */
        private long paceStartNs;
        private long paced;

        UpperCaseValue(double recordsPerS) {
            this.recordsPerS = recordsPerS;
        }

        /* snapbed's source rate limit: record n may pass once n / rate
         * seconds have gone by since the first. Sleeping here, in the task
         * thread, backpressures the Kafka reader through its bounded queue. */
        private void pace() {
            long now = System.nanoTime();
            if (paced == 0) {
                paceStartNs = now;
            }
            long dueNs = paceStartNs + (long) (paced * 1e9 / recordsPerS);
            if (dueNs > now) {
                LockSupport.parkNanos(dueNs - now);
            }
            paced++;
        }

        @Override
        public void open(OpenContext context) {
            getRuntimeContext().addAccumulator("records_in", in);
            getRuntimeContext().addAccumulator("start_ns", startNs);
            getRuntimeContext().addAccumulator("last_record_ns", lastRecordNs);
            startNs.add(System.nanoTime());
        }

        @Override
        public String map(String idValue) {
            if (recordsPerS > 0) {
                pace();
            }
            in.add(1);
            lastRecordNs.add(System.nanoTime());
            int space = idValue.indexOf(' ');
            return idValue.substring(0, space + 1)
                    + idValue.substring(space + 1).toUpperCase(Locale.ROOT);
        }
    }

    /* snapbed's `filter: "startswith:A"` on the value. */
    static final class ValueStartsWithA extends RichFilterFunction<String> {
        private static final long serialVersionUID = 1L;
        private final LongCounter out = new LongCounter();

        @Override
        public void open(OpenContext context) {
            getRuntimeContext().addAccumulator("records_out", out);
        }

        @Override
        public boolean filter(String idValue) {
            boolean keep = idValue.startsWith("A", idValue.indexOf(' ') + 1);
            if (keep) {
                out.add(1);
            }
            return keep;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 6) {
            System.err.println("usage: FlinkJob BOOTSTRAP TOPIC OUT_DIR [PARALLELISM] [REST_PORT] [RECORDS_PER_S]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        java.nio.file.Path outDir = Paths.get(args[2]).toAbsolutePath();
        int parallelism = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int restPort = args.length > 4 ? Integer.parseInt(args[4]) : 38081;
        double recordsPerS = args.length > 5 ? Double.parseDouble(args[5]) : 0;
        java.nio.file.Path sinkDir = outDir.resolve("output");
        java.nio.file.Path checkpointDir = outDir.resolve("checkpoints");
        Files.createDirectories(outDir);

        Configuration conf = new Configuration();
        conf.setString("execution.checkpointing.interval", "1s");
        conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        // Checkpoints go to files, as snapbed's do (file://checkpoints).
        conf.setString("execution.checkpointing.storage", "filesystem");
        conf.setString("execution.checkpointing.dir", checkpointDir.toUri().toString());
        conf.setString("web.checkpoints.history", Integer.toString(CHECKPOINT_HISTORY_MAX));
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.PORT, restPort);
        conf.setString("parallelism.default", Integer.toString(parallelism));

        MiniClusterConfiguration mcConf = new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build();
        // Not try-with-resources: MiniCluster.close() throws InterruptedException,
        // which javac's -Xlint:try flags for an auto-closeable resource.
        MiniCluster cluster = new MiniCluster(mcConf);
        try {
            cluster.start();
            System.err.println("flink: MiniCluster up, REST at " + cluster.getRestAddress().get());
            JobGraph graph = buildJob(conf, bootstrap, topic, sinkDir, parallelism, recordsPerS);
            // The tasks as Flink chained them (one thread per task and subtask).
            graph.getVertices().forEach(v -> System.err.println(
                    "flink: task '" + v.getName() + "' x" + v.getParallelism()));

            long startNs = System.nanoTime();
            JobID id = cluster.submitJob(graph).get().getJobID();
            System.err.println("flink: job " + id + " submitted, reading " + topic + " on " + bootstrap);
            JobResult result = cluster.requestJobResult(id).get();
            long endNs = System.nanoTime();
            JobExecutionResult done = result.toJobExecutionResult(FlinkJob.class.getClassLoader());

            JsonNode checkpoints = httpGet(cluster.getRestAddress().get(), "/jobs/" + id + "/checkpoints");
            long in = done.<Long>getAccumulatorResult("records_in");
            long out = done.<Long>getAccumulatorResult("records_out");
            double wallS = (endNs - startNs) / 1e9;
            double readS = (done.<Long>getAccumulatorResult("last_record_ns")
                    - done.<Long>getAccumulatorResult("start_ns")) / 1e9;

            ObjectNode line = JSON.createObjectNode();
            line.put("engine", "flink");
            line.put("flink_version", EnvironmentInformation.getVersion());
            line.put("java_version", System.getProperty("java.version"));
            line.put("bootstrap", bootstrap);
            line.put("topic", topic);
            line.put("parallelism", parallelism);
            line.put("records_per_s_limit", recordsPerS);
            line.put("records_in", in);
            line.put("records_out", out);
            line.put("records_committed", countCommittedLines(sinkDir));
            line.put("wall_s", wallS);
            line.put("records_per_s", wallS > 0 ? in / wallS : 0.0);
            line.put("read_s", readS);
            line.put("read_records_per_s", readS > 0 ? in / readS : 0.0);
            line.set("checkpoints", checkpointFigures(checkpoints));
            line.put("checkpoint_stats_source", "REST /jobs/<id>/checkpoints history");
            line.put("output_dir", sinkDir.toString());
            System.out.println(JSON.writeValueAsString(line));
        } finally {
            cluster.close();
        }
    }

    private static JobGraph buildJob(Configuration conf, String bootstrap, String topic,
                                     java.nio.file.Path sinkDir, int parallelism, double recordsPerS) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId("snapbed-flink-bench")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(new IdValueDeserializer())
                // snapbed keeps its offsets only in its checkpoints; so does this job.
                .setProperty("commit.offsets.on.checkpoint", "false")
                .build();
        FileSink<String> sink = FileSink
                .forRowFormat(new Path(sinkDir.toUri()), new SimpleStringEncoder<String>("UTF-8"))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").build())
                .build();
        DataStream<String> records = env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka")
                .map(new UpperCaseValue(recordsPerS / parallelism)).name("map")
                .filter(new ValueStartsWithA()).name("filter");
        records.sinkTo(sink).name("sink");
        return env.getStreamGraph().getJobGraph();
    }

    private static JsonNode httpGet(URI base, String path) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = base.resolve(path);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + uri + ": HTTP " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /* p50/p99/max by nearest rank over the completed checkpoints of the
     * history, as bench/flink.sh computes snapbed's from checkpoints.json. */
    private static ObjectNode checkpointFigures(JsonNode stats) {
        // The history lists the newest first; durations_ms keeps checkpoint order.
        List<JsonNode> history = new ArrayList<>();
        stats.path("history").forEach(history::add);
        Collections.reverse(history);
        List<Long> durations = new ArrayList<>();
        int failed = 0;
        for (JsonNode c : history) {
            if (c.path("is_savepoint").asBoolean(false)) {
                continue;
            }
            if ("COMPLETED".equals(c.path("status").asText())) {
                durations.add(c.path("end_to_end_duration").asLong());
            } else if ("FAILED".equals(c.path("status").asText())) {
                failed++;
            }
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode all = o.putArray("durations_ms");
        durations.forEach(all::add);
        Collections.sort(durations);
        o.put("completed", durations.size());
        o.put("failed", failed);
        o.put("completed_reported", stats.path("counts").path("completed").asLong());
        if (!durations.isEmpty()) {
            o.put("p50_ms", nearestRank(durations, 50));
            o.put("p99_ms", nearestRank(durations, 99));
            o.put("max_ms", durations.get(durations.size() - 1));
        }
        return o;
    }

    private static long nearestRank(List<Long> sorted, int p) {
        int k = Math.max(0, (int) Math.ceil(p * sorted.size() / 100.0) - 1);
        return sorted.get(k);
    }

    /* Lines of the finished part files; in-progress and pending files are
     * hidden (".part-…") and are not output. */
    private static long countCommittedLines(java.nio.file.Path dir) throws IOException {
        long lines = 0;
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                if (!Files.isRegularFile(f) || f.getFileName().toString().startsWith(".")) {
                    continue;
                }
                try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                    while (r.readLine() != null) {
                        lines++;
                    }
                }
            }
        }
        return lines;
    }
}
