// AvroSingleObject: Apache Avro's own Java decoder for single-object
// encoding, BinaryMessageDecoder, reads the keys and values of a topic the
// connector wrote without a registry, with the schemas it ships (as
// `connector schemas print` gives them). Run in Java's source-file mode
// with avro and kafka-clients on the class path:
//
//   java -cp 'libs/*' test/java/AvroSingleObject.java BOOTSTRAP TOPIC KEY.avsc VALUE.avsc EXPECTED
//
// It reads the topic from the start with read_committed until EXPECTED
// records (30 s at most), decodes each key and value, checks that the
// value's id is the key's, and exits 1 on any failure or another count.
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class AvroSingleObject {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        Schema keySchema = new Schema.Parser().parse(new File(args[2]));
        Schema valueSchema = new Schema.Parser().parse(new File(args[3]));
        int expected = Integer.parseInt(args[4]);
        BinaryMessageDecoder<GenericRecord> keys = new BinaryMessageDecoder<>(GenericData.get(), keySchema);
        BinaryMessageDecoder<GenericRecord> values = new BinaryMessageDecoder<>(GenericData.get(), valueSchema);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        int read = 0;
        String first = null;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read < expected && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    GenericRecord key = keys.decode(r.key());
                    GenericRecord value = values.decode(r.value());
                    Object after = value.hasField("after") ? value.get("after") : value;
                    Object id = ((GenericRecord) after).get("id");
                    if (!String.valueOf(id).equals(String.valueOf(key.get("id")))) {
                        System.out.printf("%s[%d]@%d: key id %s, value id %s%n", topic, r.partition(), r.offset(), key.get("id"), id);
                        System.exit(1);
                    }
                    if (first == null) {
                        first = value.toString();
                    }
                    read++;
                }
            }
        }
        System.out.printf("decoded %d keys and values of %s with BinaryMessageDecoder (fingerprints: key %016x, value %016x)%n",
            read, topic, SchemaNormalization.parsingFingerprint64(keySchema), SchemaNormalization.parsingFingerprint64(valueSchema));
        System.out.printf("first value: %.300s%n", first);
        System.exit(read == expected ? 0 : 1);
    }
}
