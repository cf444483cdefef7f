package schema

import (
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"
)

// FlinkTable is the Flink SQL CREATE TABLE statement reading topic, whose
// records e describes (an Entity, or its Flat shape), as the upsert-kafka
// table named table: the key's fields as columns prefixed key_ and the
// primary key, the value's fields as the other columns (an envelope's
// before, after, source, op and ts_ms; a flat value's entity fields), both
// in the avro-confluent format through the registry at registry, read
// with read_committed. It also returns the key's field names. Flink's
// Kafka connector reads a table to the topic's end with
// 'scan.bounded.mode' = 'latest-offset'; without it, it follows the topic.
func FlinkTable(table string, e *Entity, topic, brokers, registry string) (string, []string) {
	var cols, keys, pk []string
	for _, f := range e.Key.(*avro.RecordSchema).Fields() {
		keys = append(keys, f.Name())
		pk = append(pk, "`key_"+f.Name()+"`")
		cols = append(cols, "`key_"+f.Name()+"` "+flinkType(f.Type()))
	}
	for _, f := range e.Value.(*avro.RecordSchema).Fields() {
		cols = append(cols, "`"+f.Name()+"` "+flinkType(f.Type()))
	}
	return fmt.Sprintf("CREATE TABLE `%s` (\n  %s,\n  PRIMARY KEY (%s) NOT ENFORCED\n) WITH (\n"+
		"  'connector' = 'upsert-kafka',\n  'topic' = '%s',\n  'properties.bootstrap.servers' = '%s',\n"+
		"  'properties.isolation.level' = 'read_committed',\n"+
		"  'key.format' = 'avro-confluent',\n  'key.avro-confluent.url' = '%s',\n  'key.fields-prefix' = 'key_',\n"+
		"  'value.format' = 'avro-confluent',\n  'value.avro-confluent.url' = '%s',\n  'value.fields-include' = 'EXCEPT_KEY'\n)",
		table, strings.Join(cols, ",\n  "), strings.Join(pk, ", "), topic, brokers, registry, registry), keys
}

// flinkType is the Flink SQL type reading values of the Avro type s.
func flinkType(s avro.Schema) string {
	if u, ok := s.(*avro.UnionSchema); ok && u.Nullable() {
		_, i := u.Indices()
		return strings.TrimSuffix(flinkType(u.Types()[i]), " NOT NULL")
	}
	var t string
	switch s := deref(s).(type) {
	case *avro.RecordSchema:
		fs := make([]string, len(s.Fields()))
		for i, f := range s.Fields() {
			fs[i] = "`" + f.Name() + "` " + flinkType(f.Type())
		}
		t = "ROW<" + strings.Join(fs, ", ") + ">"
	case *avro.PrimitiveSchema:
		t = map[avro.Type]string{avro.String: "STRING", avro.Int: "INT", avro.Long: "BIGINT", avro.Boolean: "BOOLEAN",
			avro.Float: "FLOAT", avro.Double: "DOUBLE", avro.Bytes: "BYTES"}[s.Type()]
		if l := s.Logical(); l != nil && l.Type() == avro.TimestampMillis {
			t = "TIMESTAMP(3)"
		}
	}
	return t + " NOT NULL"
}
