package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/floe-yarn/floe/stream"
)

// Exactly-once (after Flink's KafkaSink). Each subtask writes one Kafka
// transaction per checkpoint interval, through a transactional producer of
// its own whose transactional.id is <prefix>-<subtask>-<n>, n being one
// more than the checkpoint at whose barrier the previous transaction
// closed (1 on a fresh start, c+1 after a restore from checkpoint c):
//
//   - at the barrier of checkpoint c the producer flushes; its producer id
//     and epoch, with the transactional.id, are the committable stored in
//     checkpoint c, and the producer is closed without ending the
//     transaction, which stays open on the broker;
//   - when checkpoint c completes, the committable is committed with an
//     EndTxn request naming that id and epoch, from the subtask's plain
//     client: committing needs no producer, only the coordinator;
//   - on restore from checkpoint c the committables of c (and of earlier
//     checkpoints whose completion notice was lost) are committed the
//     same way, a transaction already committed answering with an epoch
//     error that is then only logged; transactions the failed attempt
//     opened after c carry the names c+1, c+2, …: InitProducerId on each
//     of them (and on those of old subtasks that a smaller parallelism
//     no longer runs) fences and aborts whatever is open there, until
//     probeGap consecutive names answer with epoch 0, i.e. were never
//     used. A transaction this misses (a gap longer than probeGap in the
//     names of one subtask) is aborted by the broker when
//     transaction.timeout.ms passes.
//
// A subtask that writes nothing between two barriers opens no transaction.

// probeGap is how many consecutive never-used transactional ids end the
// search for lingering transactions.
const probeGap = 4

// txnState is the exactly-once writer's state.
type txnState struct {
	next int64       // the n of the next transaction's id
	prod *kgo.Client // the open transaction's producer, or nil
	name string      // its transactional.id
}

func (w *writer[T]) txnID(subtask int, n int64) string {
	return w.opts.TransactionalIDPrefix + "-" + strconv.Itoa(subtask) + "-" + strconv.FormatInt(n, 10)
}

// checkTransactionTimeout refuses a transaction.timeout.ms the broker
// would refuse, naming both values.
func (w *writer[T]) checkTransactionTimeout(ctx context.Context) error {
	ours := w.opts.transactionTimeout()
	limit, err := brokerConfigInt(ctx, w.adm, "transaction.max.timeout.ms")
	if err != nil {
		return fmt.Errorf("read the broker's transaction.max.timeout.ms: %w", err)
	}
	if ours.Milliseconds() > limit {
		return fmt.Errorf("transaction.timeout.ms %d is larger than the broker's transaction.max.timeout.ms %d: lower %stransaction.timeout.ms or raise the broker's limit",
			ours.Milliseconds(), limit, PropertiesPrefix)
	}
	return nil
}

// beginTxn prepares the first transaction after a fresh start (restored
// 0, oldP nil) or a restore from checkpoint restored taken at
// parallelism *oldP, aborting lingering transactions first.
func (w *writer[T]) beginTxn(ctx context.Context, restored int64, oldP *int) error {
	w.txn = &txnState{next: restored + 1}
	subtasks := []int{w.sc.Subtask}
	if oldP != nil {
		for j := w.sc.Subtask + w.sc.Parallelism; j < *oldP; j += w.sc.Parallelism {
			subtasks = append(subtasks, j)
		}
	}
	for _, s := range subtasks {
		fresh, aborted := 0, 0
		for n := restored + 1; fresh < probeGap; n++ {
			epoch, err := w.initProducerID(ctx, w.txnID(s, n))
			if err != nil {
				return fmt.Errorf("abort lingering transactions of subtask %d: %w", s, err)
			}
			if epoch == 0 {
				fresh++
			} else {
				fresh, aborted = 0, aborted+1
			}
		}
		if aborted > 0 {
			w.log.Info().Int("oldSubtask", s).Int("fenced", aborted).Int64("after", restored).
				Msg("fenced transactional ids of an earlier attempt (their open transactions are aborted)")
		}
	}
	return nil
}

// txnProducer returns the open transaction's producer, opening one.
func (w *writer[T]) txnProducer(ctx context.Context) (*kgo.Client, error) {
	t := w.txn
	if t.prod != nil {
		return t.prod, nil
	}
	t.name = w.txnID(w.sc.Subtask, t.next)
	opts := append(append([]kgo.Opt{}, w.base...), kgo.SeedBrokers(w.opts.Brokers...),
		kgo.TransactionalID(t.name), kgo.TransactionTimeout(w.opts.transactionTimeout()))
	p, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("transactional producer %s: %w", t.name, err)
	}
	if err := p.BeginTransaction(); err != nil {
		p.Close()
		return nil, fmt.Errorf("begin transaction %s: %w", t.name, err)
	}
	t.prod = p
	return p, nil
}

// preCommitTxn flushes the open transaction at the barrier of checkpoint
// id and returns its committable.
func (w *writer[T]) preCommitTxn(ctx context.Context, id int64) ([]stream.Committable, error) {
	t := w.txn
	defer func() {
		if id < 1<<62 {
			t.next = id + 1
		}
	}()
	if t.prod == nil {
		return nil, nil
	}
	if err := t.prod.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush transaction %s at checkpoint %d: %w", t.name, id, err)
	}
	if err := w.produceErr(); err != nil {
		return nil, err
	}
	pid, epoch, err := t.prod.ProducerID(ctx)
	if err != nil {
		return nil, fmt.Errorf("producer id of transaction %s: %w", t.name, err)
	}
	// Closing does not end the transaction: it stays open on the broker
	// until committed (or aborted by its timeout or a fence).
	t.prod.Close()
	t.prod = nil
	return []stream.Committable{encodeCommittable(t.name, pid, epoch)}, nil
}

// commitTxn commits one pre-committed transaction. When recovering, a
// transaction the coordinator no longer has open (committed before the
// failure, or aborted by its timeout) is logged, not an error.
func (w *writer[T]) commitTxn(ctx context.Context, c stream.Committable, recovering bool) error {
	name, pid, epoch, err := decodeCommittable(c)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = name, pid, epoch, true
	err = w.txnRequest(ctx, "commit transaction "+name, req, func(r kmsg.Response) int16 { return r.(*kmsg.EndTxnResponse).ErrorCode })
	if err == nil {
		return nil
	}
	if recovering && (errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.InvalidTxnState) || errors.Is(err, kerr.InvalidProducerIDMapping) || errors.Is(err, kerr.TransactionalIDNotFound)) {
		w.log.Warn().Err(err).Str("transactionalID", name).Int64("producerID", pid).Int16("epoch", epoch).
			Msg("restored transaction is no longer open: committed before the failure, or aborted by transaction.timeout.ms (then its records are lost)")
		return nil
	}
	return err
}

// initProducerID sends InitProducerId for name, which fences an earlier
// producer of it and aborts its open transaction; it returns the new
// epoch (0 for a transactional.id never used).
func (w *writer[T]) initProducerID(ctx context.Context, name string) (int16, error) {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = &name
	req.TransactionTimeoutMillis = int32(w.opts.transactionTimeout().Milliseconds())
	req.ProducerID, req.ProducerEpoch = -1, -1
	var epoch int16
	err := w.txnRequest(ctx, "fence "+name, req, func(r kmsg.Response) int16 {
		resp := r.(*kmsg.InitProducerIDResponse)
		epoch = resp.ProducerEpoch
		return resp.ErrorCode
	})
	return epoch, err
}

// txnRequest issues a transaction coordinator request, retrying while
// the coordinator answers with a retriable error (an abort in progress
// answers CONCURRENT_TRANSACTIONS), for at most a minute.
func (w *writer[T]) txnRequest(ctx context.Context, what string, req kmsg.Request, code func(kmsg.Response) int16) error {
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	backoff := 20 * time.Millisecond
	for {
		resp, err := w.cl.Request(rctx, req)
		if err == nil {
			err = kerr.ErrorForCode(code(resp))
		}
		if err == nil {
			return nil
		}
		if !kerr.IsRetriable(err) && !errors.Is(err, kerr.ConcurrentTransactions) {
			return fmt.Errorf("%s: %w", what, err)
		}
		select {
		case <-rctx.Done():
			return fmt.Errorf("%s: still failing after a minute: %w", what, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// abortTxn aborts the open transaction, if any (cancellation, failure);
// what this misses is aborted on restore or by the broker's timeout.
func (w *writer[T]) abortTxn(ctx context.Context) error {
	t := w.txn
	if t == nil || t.prod == nil {
		return nil
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = t.prod.AbortBufferedRecords(actx) // the records are being discarded
	err := t.prod.EndTransaction(actx, kgo.TryAbort)
	t.prod.Close()
	t.prod = nil
	if err != nil {
		w.log.Warn().Err(err).Str("transactionalID", t.name).Msg("abort transaction failed; a restore or the broker's timeout aborts it")
	}
	return nil
}

// encodeCommittable lays out an open transaction:
//
//	+---------+--------------------------+---------------------+----------------+
//	| version | transactional.id (uvarint| producer id         | epoch          |
//	|   (1)   | length + bytes)          | (varint)            | (varint)       |
//	+---------+--------------------------+---------------------+----------------+
func encodeCommittable(name string, pid int64, epoch int16) stream.Committable {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	b = binary.AppendVarint(b, pid)
	b = binary.AppendVarint(b, int64(epoch))
	return b
}

func decodeCommittable(c stream.Committable) (string, int64, int16, error) {
	bad := fmt.Errorf("kafka transaction committable: malformed (%d bytes)", len(c))
	if len(c) == 0 || c[0] != 1 {
		return "", 0, 0, bad
	}
	b := c[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", 0, 0, bad
	}
	name, b := string(b[k:k+int(n)]), b[k+int(n):]
	pid, k := binary.Varint(b)
	if k <= 0 {
		return "", 0, 0, bad
	}
	b = b[k:]
	epoch, k := binary.Varint(b)
	if k <= 0 || k != len(b) || epoch < 0 || epoch > 1<<15-1 {
		return "", 0, 0, bad
	}
	return name, pid, int16(epoch), nil
}

// encodeWriterState is a subtask's sink state: version 1 and its
// parallelism (uvarint).
func encodeWriterState(parallelism int) []byte {
	return binary.AppendUvarint([]byte{1}, uint64(parallelism))
}

func decodeWriterState(b []byte) (int, error) {
	if len(b) < 2 || b[0] != 1 {
		return 0, fmt.Errorf("kafka sink state: malformed (%d bytes)", len(b))
	}
	p, k := binary.Uvarint(b[1:])
	if k <= 0 || k != len(b)-1 || p == 0 || p > 1<<20 {
		return 0, fmt.Errorf("kafka sink state: malformed (%d bytes)", len(b))
	}
	return int(p), nil
}
