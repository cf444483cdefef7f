// JavaClients: the Java Admin client and a read_committed consumer against
// a broker, as Flink and kafka-console-consumer use them. Run in Java's
// source-file mode with kafka-clients on the class path:
//
//   java -cp 'libs/*' test/java/JavaClients.java BOOTSTRAP TOPIC EXPECTED
//
// It prints the topic's description, then reads the topic from the start
// until EXPECTED records (30 s at most), and exits 1 unless it read exactly
// that many.
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class JavaClients {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        int expected = Integer.parseInt(args[2]);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        List<TopicPartition> partitions = new ArrayList<>();
        try (Admin admin = Admin.create(props)) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            for (TopicPartitionInfo p : d.partitions()) {
                partitions.add(new TopicPartition(topic, p.partition()));
                System.out.printf("describeTopics %s[%d]: leader %s, replicas %d, isr %d%n",
                    topic, p.partition(), p.leader(), p.replicas().size(), p.isr().size());
            }
        }
        props.put("isolation.level", "read_committed");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        int read = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read < expected && System.nanoTime() < end) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                read += records.count();
            }
        }
        System.out.printf("consumed %d records of %s with read_committed%n", read, topic);
        System.exit(read == expected ? 0 : 1);
    }
}
