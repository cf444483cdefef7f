package schema

// Envelope is a Debezium-style change event: the value of every Kafka record
// the connector writes. Its schema is an entity's envelope.avsc.
type Envelope struct {
	// Before is the entity before the change; nil, as a polled API has no
	// previous image.
	Before any `avro:"before"`
	// After is the entity after the change: a pointer to (or value of) the
	// Go type given to the Codec, or nil.
	After any `avro:"after"`
	// Source tells where and when the event came from.
	Source SourceInfo `avro:"source"`
	// Op is the operation: "c" create, "u" update, "r" read during the
	// initial backfill.
	Op string `avro:"op"`
	// TsMs is when the connector produced the event, in Unix milliseconds.
	TsMs int64 `avro:"ts_ms"`
}

// SourceInfo is the envelope's source block, the record connector.Source of
// schemas/source.avsc.
type SourceInfo struct {
	// Version is the connector's version.
	Version string `avro:"version"`
	// Connector is the connector's name from its configuration.
	Connector string `avro:"connector"`
	// Provider is the kind of source, e.g. "tiki_lead".
	Provider string `avro:"provider"`
	// Source is the configured source's name.
	Source string `avro:"source"`
	// TsMs is the entity's own time (creation or update) in Unix milliseconds.
	TsMs int64 `avro:"ts_ms"`
	// Snapshot is true for events of the initial backfill.
	Snapshot bool `avro:"snapshot"`
	// Position is the source's cursor position at this event.
	Position string `avro:"position"`
}
