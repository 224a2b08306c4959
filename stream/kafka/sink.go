package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
)

// DeliveryGuarantee is Flink's sink.delivery-guarantee.
type DeliveryGuarantee string

// The delivery guarantees of a Sink.
const (
	// None sends records without waiting for them at checkpoints: a
	// failure may lose or repeat records ("none").
	None DeliveryGuarantee = "none"
	// AtLeastOnce flushes every record written before a barrier before
	// the checkpoint is acknowledged: a failure may repeat records, never
	// loses one ("at-least-once", the default).
	AtLeastOnce DeliveryGuarantee = "at-least-once"
	// ExactlyOnce writes in Kafka transactions, one per checkpoint and
	// subtask, committed when the checkpoint completes: a consumer with
	// isolation.level=read_committed sees every record once
	// ("exactly-once").
	ExactlyOnce DeliveryGuarantee = "exactly-once"
)

// ParseDeliveryGuarantee parses a sink.delivery-guarantee value.
func ParseDeliveryGuarantee(s string) (DeliveryGuarantee, error) {
	switch g := DeliveryGuarantee(s); g {
	case None, AtLeastOnce, ExactlyOnce:
		return g, nil
	}
	return "", fmt.Errorf("sink.delivery-guarantee %q: want none, at-least-once or exactly-once", s)
}

// Serializer turns a job record into a Kafka record: value, key,
// headers, and optionally the topic (default SinkOptions.Topic) and
// partition (with SinkOptions.ManualPartitions; otherwise the key's hash
// chooses, or a sticky partition for records without a key).
type Serializer[T any] func(v T) *kgo.Record

// DefaultTransactionTimeout is the sink's transaction.timeout.ms unless
// the properties set one: below the broker's default
// transaction.max.timeout.ms (15 minutes).
const DefaultTransactionTimeout = 10 * time.Minute

// SinkOptions configure a Sink.
type SinkOptions[T any] struct {
	// Brokers are the bootstrap servers (bootstrap.servers).
	Brokers []string
	// Topic is where records go unless the serializer names a topic.
	Topic      string
	Serializer Serializer[T]
	// ManualPartitions sends each record to the partition its serializer
	// sets (kgo.Record.Partition).
	ManualPartitions bool
	// DeliveryGuarantee defaults to AtLeastOnce.
	DeliveryGuarantee DeliveryGuarantee
	// TransactionalIDPrefix (sink.transactional-id-prefix) names the
	// sink's transactions for ExactlyOnce, which needs it: the ids are
	// <prefix>-<subtask>-<n>, n the checkpoint after which the
	// transaction began. Two jobs writing at once need distinct prefixes.
	TransactionalIDPrefix string
	// Properties are Kafka client options (see PropertiesFrom), e.g.
	// "linger.ms", "transaction.timeout.ms".
	Properties map[string]string
	// ConnectTimeout bounds the wait for the brokers (default
	// DefaultConnectTimeout).
	ConnectTimeout time.Duration
	Logger         zerolog.Logger
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func (o *SinkOptions[T]) validate() error {
	if o.DeliveryGuarantee == "" {
		o.DeliveryGuarantee = AtLeastOnce
	}
	if _, err := ParseDeliveryGuarantee(string(o.DeliveryGuarantee)); err != nil {
		return err
	}
	switch {
	case len(o.Brokers) == 0:
		return errors.New("no brokers (bootstrap.servers)")
	case o.Topic == "":
		return errors.New("no topic")
	case o.Serializer == nil:
		return errors.New("no Serializer")
	case o.DeliveryGuarantee == ExactlyOnce && o.TransactionalIDPrefix == "":
		return errors.New("exactly-once needs a transactional id prefix (sink.transactional-id-prefix), unique to this job")
	case o.TransactionalIDPrefix != "" && !prefixRE.MatchString(o.TransactionalIDPrefix):
		return fmt.Errorf("transactional id prefix %q: use letters, digits, '.', '_' and '-'", o.TransactionalIDPrefix)
	case o.DeliveryGuarantee == ExactlyOnce && o.Properties["acks"] != "" && o.Properties["acks"] != "all" && o.Properties["acks"] != "-1":
		return fmt.Errorf("%sacks=%s: exactly-once needs acks=all (Kafka transactions are idempotent); remove it or use at-least-once",
			PropertiesPrefix, o.Properties["acks"])
	}
	_, err := clientOpts(o.Properties, roleProducer)
	return err
}

// transactionTimeout is transaction.timeout.ms from the properties, or
// the default.
func (o *SinkOptions[T]) transactionTimeout() time.Duration {
	if v, ok := o.Properties["transaction.timeout.ms"]; ok {
		if d, err := parseMillis(v); err == nil {
			return d
		}
	}
	return DefaultTransactionTimeout
}

// Sink adds a Kafka sink to in. With AtLeastOnce and ExactlyOnce the job
// must checkpoint for the guarantee to hold (ExactlyOnce commits only at
// checkpoints, and at the end of a bounded input).
func Sink[T any](in stream.Stream[T], name string, opts SinkOptions[T]) stream.Sink {
	verr := opts.validate()
	return stream.AddTwoPhaseCommitSink(in, name, func(ctx context.Context, sc stream.SinkContext) (stream.TwoPhaseCommitWriter[T], io.Closer, error) {
		if verr != nil {
			return nil, nil, fmt.Errorf("kafka sink: %w", verr)
		}
		w, err := newWriter(ctx, opts, sc)
		if err != nil {
			return nil, nil, fmt.Errorf("kafka sink: %w", err)
		}
		return w, w, nil
	})
}

// newWriter opens the writer of one subtask: it checks that the brokers
// answer and the topic exists, and for ExactlyOnce that the transaction
// timeout is within the broker's limit.
func newWriter[T any](ctx context.Context, opts SinkOptions[T], sc stream.SinkContext) (*writer[T], error) {
	props, err := clientOpts(opts.Properties, roleProducer)
	if err != nil {
		return nil, err
	}
	var base []kgo.Opt
	if opts.DeliveryGuarantee == None {
		// The properties come after, so an acks there wins.
		base = append(base, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	}
	base = append(base, props...)
	if opts.ManualPartitions {
		base = append(base, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	base = append(base, kgo.DefaultProduceTopic(opts.Topic))
	cl, err := newClient(ctx, opts.Brokers, opts.ConnectTimeout, base)
	if err != nil {
		return nil, err
	}
	w := &writer[T]{opts: opts, sc: sc, cl: cl, adm: kadm.NewClient(cl), base: base,
		log: opts.Logger.With().Str("component", "kafka-sink").Int("subtask", sc.Subtask).Logger()}
	if _, err := partitionCounts(ctx, w.adm, opts.Brokers, []string{opts.Topic}); err != nil {
		cl.Close()
		return nil, err
	}
	if opts.DeliveryGuarantee == ExactlyOnce {
		if err := w.checkTransactionTimeout(ctx); err != nil {
			cl.Close()
			return nil, err
		}
		if !sc.Checkpointing {
			w.log.Warn().Msg("exactly-once Kafka sink in a job without checkpoints: records are committed only at the end of a bounded input")
		}
	}
	return w, nil
}

// writer is one subtask's sink. With None and AtLeastOnce it produces
// through cl; with ExactlyOnce through a transactional producer per
// transaction (see sink_txn.go), cl then serving the coordinator requests.
type writer[T any] struct {
	opts SinkOptions[T]
	sc   stream.SinkContext
	cl   *kgo.Client
	adm  *kadm.Client
	base []kgo.Opt
	log  zerolog.Logger

	errMu sync.Mutex
	err   error // the first failed produce

	txn *txnState // ExactlyOnce only
}

// promise records the first produce error; Write reports it.
func (w *writer[T]) promise(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	w.errMu.Lock()
	if w.err == nil {
		w.err = fmt.Errorf("produce to %s/%d: %w", r.Topic, r.Partition, err)
	}
	w.errMu.Unlock()
}

func (w *writer[T]) produceErr() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// Begin implements stream.TwoPhaseCommitWriter.
func (w *writer[T]) Begin(ctx context.Context) error {
	if w.opts.DeliveryGuarantee != ExactlyOnce {
		return nil
	}
	return w.beginTxn(ctx, 0, nil)
}

// Write implements stream.TwoPhaseCommitWriter.
func (w *writer[T]) Write(ctx context.Context, v T) error {
	if err := w.produceErr(); err != nil {
		return err
	}
	r := w.opts.Serializer(v)
	if r == nil {
		return nil
	}
	cl := w.cl
	if w.opts.DeliveryGuarantee == ExactlyOnce {
		var err error
		if cl, err = w.txnProducer(ctx); err != nil {
			return err
		}
	}
	cl.Produce(ctx, r, w.promise)
	return nil
}

// PreCommit implements stream.TwoPhaseCommitWriter: AtLeastOnce flushes,
// ExactlyOnce flushes and closes the checkpoint's transaction.
func (w *writer[T]) PreCommit(ctx context.Context, checkpointID int64) ([]stream.Committable, error) {
	switch w.opts.DeliveryGuarantee {
	case AtLeastOnce:
		if err := w.cl.Flush(ctx); err != nil {
			return nil, fmt.Errorf("flush at checkpoint %d: %w", checkpointID, err)
		}
		return nil, w.produceErr()
	case ExactlyOnce:
		return w.preCommitTxn(ctx, checkpointID)
	}
	return nil, w.produceErr()
}

// State implements stream.TwoPhaseCommitWriter: the subtask's parallelism,
// which a restored job needs to find the transactions of subtasks that
// no longer exist.
func (w *writer[T]) State() ([]byte, error) { return encodeWriterState(w.sc.Parallelism), nil }

// Commit implements stream.TwoPhaseCommitWriter.
func (w *writer[T]) Commit(ctx context.Context, cs []stream.Committable) error {
	for _, c := range cs {
		if err := w.commitTxn(ctx, c, false); err != nil {
			return err
		}
	}
	return nil
}

// RecoverCommit implements stream.TwoPhaseCommitWriter.
func (w *writer[T]) RecoverCommit(ctx context.Context, states [][]byte, pending []stream.Committable) error {
	if w.opts.DeliveryGuarantee != ExactlyOnce {
		return nil
	}
	for _, c := range pending {
		if err := w.commitTxn(ctx, c, true); err != nil {
			return err
		}
	}
	oldP := 0
	for _, s := range states {
		if p, err := decodeWriterState(s); err == nil && p > oldP {
			oldP = p
		}
	}
	return w.beginTxn(ctx, w.sc.RestoredCheckpoint, &oldP)
}

// Abort implements stream.TwoPhaseCommitWriter.
func (w *writer[T]) Abort(ctx context.Context) error {
	if w.opts.DeliveryGuarantee == ExactlyOnce {
		return w.abortTxn(ctx)
	}
	return nil
}

// Close releases the clients.
func (w *writer[T]) Close() error {
	if w.txn != nil && w.txn.prod != nil {
		w.txn.prod.Close()
	}
	w.cl.Close()
	return nil
}
