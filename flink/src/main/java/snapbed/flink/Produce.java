/* Produce — writes a test input into Kafka for tests/flink-cluster.sh, so
 * the test needs neither kcat nor ./build/snapbed:
 *
 *   java -cp 'LIB/*:snapbed-flink.jar' snapbed.flink.Produce --bootstrap H:P
 *        --topic T --records N --partitions P --seed S [--expect FILE]
 *
 * creates the topic with P partitions (replication 1; an existing topic must
 * already have P partitions), sends N records round-robin over the
 * partitions, values drawn from the words of snapbed's input (any ASCII
 * words would do), and with --expect writes one line per record as the job
 * sees it before map and filter: "<partition>:<offset> <value>", in the
 * broker's offsets as acknowledged. Exit 0, 1 on a Kafka error, 2 on usage.
 */
package snapbed.flink;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class Produce {
    private static final String PROGRAM = "snapbed-flink-produce";
    private static final String[] WORDS = {
        "apple", "anchor", "amber", "arrow", "atlas", "aurora", "avocado", "axis",
        "badger", "barrier", "cedar", "channel", "delta", "ember", "falcon", "garnet",
        "harbor", "island", "juniper", "kernel", "lantern", "marker", "nectar", "orbit",
        "pepper", "quartz", "raven", "snapshot", "thistle", "umber", "velvet", "willow",
    };

    private Produce() {}

    public static void main(String[] argv) {
        try {
            run(argv);
        } catch (Args.BadArgs e) {
            System.err.println(e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println(PROGRAM + ": " + e);
            System.exit(1);
        }
    }

    private static void run(String[] argv) throws IOException, InterruptedException, ExecutionException {
        Args a = Args.parse(PROGRAM, argv, Set.of("bootstrap", "topic", "records", "partitions", "seed", "expect"));
        String bootstrap = a.bootstrap("bootstrap");
        String topic = a.word("topic", null);
        long records = a.number("records", 1000, 0, 1_000_000_000L);
        int partitions = (int) a.number("partitions", 2, 1, 10_000);
        long seed = a.number("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
        String expect = a.has("expect") ? a.string("expect", null) : null;

        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(p)) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                Map<String, TopicDescription> d = admin.describeTopics(List.of(topic)).allTopicNames().get();
                int have = d.get(topic).partitions().size();
                if (have != partitions) {
                    throw new IOException("topic " + topic + " exists with " + have + " partitions, not " + partitions);
                }
            }
        }

        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        List<String> lines = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (long i = 0; i < records; i++) {
                String v = WORDS[rnd.nextInt(WORDS.length)];
                values.add(v);
                sent.add(producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null,
                        v.getBytes(StandardCharsets.US_ASCII))));
            }
            producer.flush();
            for (int i = 0; i < sent.size(); i++) {
                RecordMetadata m = sent.get(i).get();
                lines.add(m.partition() + ":" + m.offset() + " " + values.get(i));
            }
        }
        if (expect != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Paths.get(expect), StandardCharsets.US_ASCII))) {
                lines.forEach(w::println);
            }
        }
        System.err.printf("%s: %d records into %s (%d partitions) in %.2f s%n",
                PROGRAM, records, topic, partitions, (System.nanoTime() - t0) / 1e9);
    }
}
