// Package kafka is Floe's Apache Kafka connector: a Source on the
// split-based source interface of package stream, and a Sink with Flink's
// three delivery guarantees, both on the pure-Go client franz-go (kgo,
// kadm).
//
// # Source
//
// Each partition of the topics read (SourceOptions.Topics, or every topic
// matching TopicPattern) is a split whose state is the offset of the next
// record; checkpoints store these offsets, and a restored job continues
// from them, at the same or another parallelism. A partition belongs to
// subtask (fnv32(topic) + partition) mod parallelism (Source.AssignSplits,
// a stream.SplitAssigner), so each reader finds, every DiscoveryInterval
// (partition.discovery.interval.ms), the partitions and matching topics
// created since and reads those it owns from their earliest offset. The
// partitions present at the start are read from StartOffsets: earliest,
// latest, the group's committed offsets, a timestamp, or explicit offsets.
// Bounded stops each partition at its end offset of when the job started,
// so the job ends. When a checkpoint completes, its offsets are committed
// to GroupID for monitoring (the source never joins the group). The
// Deserializer sees the whole kgo.Record (value, key, headers, topic,
// partition, offset, timestamp); a record it rejects fails the job naming
// topic, partition and offset, unless SkipInvalid.
//
// For event time, pass the source to stream.FromSourceWithWatermarks: it
// keeps one watermark per partition (the reader names each record's
// split), the source's watermark is the slowest partition's, and a
// strategy WithIdleness leaves a silent partition out until it sends
// again.
//
// The reader sees transaction markers (they are never handed to the
// Deserializer), so a bounded partition written transactionally still
// reaches its stop offset.
//
// # Sink
//
// DeliveryGuarantee (sink.delivery-guarantee) none, at-least-once (flush
// at every barrier) or exactly-once: one Kafka transaction per checkpoint
// and subtask, transactional.id <TransactionalIDPrefix>-<subtask>-<n>,
// flushed and pre-committed at the barrier, committed when the checkpoint
// completes; a restore commits the restored checkpoint's transactions and
// fences the ids a failed attempt used after it, aborting its lingering
// transactions (sink_txn.go describes the scheme). Consumers with
// isolation.level=read_committed then see every record once. The
// Serializer builds the kgo.Record (value, key, headers, partition with
// ManualPartitions, topic).
//
// # Options and errors
//
// Kafka client options pass through with Flink's properties.* convention
// (PropertiesFrom; SourceOptions.Properties, SinkOptions.Properties), by
// their Java client names, mapped onto franz-go:
//
//   - both sides: client.id, request.timeout.ms,
//     socket.connection.setup.timeout.ms, connections.max.idle.ms,
//     metadata.max.age.ms, retry.backoff.ms;
//   - source: fetch.min.bytes, fetch.max.bytes, fetch.max.wait.ms,
//     max.partition.fetch.bytes, isolation.level, client.rack;
//   - sink: acks (all or -1; 1 and 0 turn idempotence off, and
//     exactly-once refuses them), linger.ms, batch.size or
//     max.request.size (one of them: franz-go's single cap on a batch,
//     so a larger record is refused), compression.type, buffer.memory,
//     retries, delivery.timeout.ms,
//     max.in.flight.requests.per.connection (without idempotence only),
//     transaction.timeout.ms;
//   - security: security.protocol PLAINTEXT, SSL, SASL_PLAINTEXT or
//     SASL_SSL; sasl.mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with
//     sasl.jaas.config (PlainLoginModule or ScramLoginModule, username and
//     password); ssl.truststore.location or ssl.truststore.certificates
//     and ssl.keystore.location, PEM only (ssl.truststore.type=PEM,
//     ssl.keystore.type=PEM, the key unencrypted);
//     ssl.endpoint.identification.algorithm (empty: no host name check).
//
// Any other key is an error naming it and listing the supported ones;
// keys the connector sets another way (bootstrap.servers, group.id,
// transactional.id, enable.idempotence, auto.offset.reset, the consumer
// group membership keys, the (de)serializers) are errors saying which
// option to use instead.
//
// Opening a reader or sink waits at most ConnectTimeout for a broker
// (ErrBrokersUnreachable), refuses a missing topic (ErrTopicMissing), and
// an exactly-once sink refuses a transaction.timeout.ms above the broker's
// transaction.max.timeout.ms, naming both values.
//
//	in := kafka.FromKafka(env, "orders", kafka.SourceOptions[string]{
//		Brokers: []string{"127.0.0.1:19092"}, Topics: []string{"orders"}, GroupID: "billing",
//		Deserializer: func(r *kgo.Record) (string, error) { return string(r.Value), nil },
//	})
//	kafka.Sink(out, "totals", kafka.SinkOptions[string]{
//		Brokers: []string{"127.0.0.1:19092"}, Topic: "totals",
//		DeliveryGuarantee: kafka.ExactlyOnce, TransactionalIDPrefix: "billing-totals",
//		Serializer: func(s string) *kgo.Record { return &kgo.Record{Value: []byte(s)} },
//	})
//
// scripts/kafka.sh runs a real broker for tests and demos.
package kafka
