// Package netio is Floe's data plane: it moves encoded records and in-band
// events from producing subtasks to consuming subtasks, between
// TaskManagers over TCP or inside one TaskManager without sockets. It is
// Flink's network stack in miniature.
//
// # Model
//
// A producer subtask writes one ResultPartition per outgoing job edge,
// with one subpartition per consumer subtask. Emit serialises a record
// (a uvarint length, then the bytes) into the subpartition's current
// Buffer, taken from the TaskManager's BufferPool. A buffer is shipped when
// it is full, when the flush timer fires (PartitionOptions.FlushInterval,
// 5 ms by default, so that low-rate streams still flow), on Flush, and
// before an event. Records larger than a buffer span several buffers.
//
// A consumer subtask reads an InputGate that merges one InputChannel per
// upstream producer subtask: remote channels come from Client.Dial, local
// ones (producer in the same TaskManager) from DialLocal. Records and
// events arrive in emission order within a channel. Next returns each
// channel's EndOfPartition event, then io.EOF once every channel ended.
//
// # API and lifecycle
//
//	NewBufferPool(PoolOptions)                  one per TaskManager: the memory bound
//	NewRegistry()                               one per TaskManager: its result partitions
//	NewServer(ctx, ServerOptions)               one per TaskManager: serves the registry over TCP
//	NewClient(ClientOptions)                    one per TaskManager: dials other servers
//
//	NewResultPartition(PartitionOptions)        per producer subtask and job edge
//	  Registry.Register(p)                      consumers may ask before this happens
//	  p.Emit(ctx, sub, rec) / p.EmitEvent / p.Broadcast / p.Flush
//	  p.Finish(ctx)                             EndOfPartition to every subpartition
//	  <-p.Done()                                every consumer has everything
//	  p.Fail(err) / p.Release()                 failure / end of the job attempt
//
//	Client.Dial(ctx, addr, id, sub)             remote *InputChannel
//	DialLocal(reg, id, sub, LocalOptions)       local *InputChannel
//	NewInputGate(channels, GateOptions)         per consumer subtask
//	  g.Next(ctx) / g.Poll()                    Element{Channel, Record | Event}; io.EOF at the end
//	  g.Pause(i) / g.Resume(i)                  hold one channel back (barrier alignment)
//	  g.Close()
//
//	Registry.ReleaseMatching(func(PartitionID) bool)   e.g. every partition of a cancelled attempt
//
// Finish returns once EndOfPartition is queued; the data drains in the
// background while credit comes in. Release drops whatever is undelivered,
// so a producer task that ends normally waits for Done (bounded by its
// context) before releasing, or leaves the release to the end of the job
// attempt; a drained partition leaves its registry by itself. A record
// returned by Next is valid until the next Next or Poll. Close must not run
// concurrently with Next: cancel Next's context first.
//
// # Flow control and memory
//
// Flow control is credit-based per channel: the consumer grants one credit
// per free receive buffer (ClientOptions.Credits, LocalOptions.Credits);
// the producer sends a buffer or an event only while it holds credit, and
// the consumer returns the credit when it has read the buffer. Without
// credit, buffers wait in the subpartition, at most
// MaxBuffersPerSubpartition of them; then Emit blocks, as it does when the
// BufferPool is empty. So a slow consumer slows its producers
// (backpressure) and memory stays within NumBuffers × BufferSize per
// TaskManager. Because no frame is ever sent without a free buffer waiting
// for it, many channels share one TCP connection without one slow channel
// stalling the rest.
//
// Size the pool for both sides: a subpartition holds at most
// MaxBuffersPerSubpartition+1 buffers, and a remote channel takes Credits
// buffers from the consumer's pool at Dial, for its whole life. Size the
// pool for the sum: with less, producers that fill the pool while their
// consumers are not reading yet can keep a consumer's Dial waiting for
// receive buffers, a deadlock (Dial then ends only with its context).
//
// # Events
//
// EndOfPartition (sent by Finish) ends a channel. Watermark and
// CheckpointBarrier are carried in order with the records. The runtime
// aligns checkpoint barriers with InputGate.Pause and Resume: a paused
// channel is not read, so credit-based flow control holds its producer
// back while the other channels keep flowing.
//
// # Failures
//
// ResultPartition.Fail makes every consumer's Next return an error wrapping
// ErrProducerFailed with the producer's message; a lost connection gives
// ErrConnectionLost; a partition not registered within the request timeout
// gives ErrPartitionNotFound (subtasks start in any order, so requests wait
// for their partition first). A consumer that closes its gate before the
// end makes the producer's next Emit fail with ErrPartitionReleased. Close
// (Server, Client, InputGate) and Release (ResultPartition) end every
// goroutine.
//
// # Wire format
//
// One TCP connection per (consumer TaskManager, producer TaskManager) pair
// carries any number of channels. Every frame is a 10-byte header and a
// payload; integers in the header are big endian.
//
//	 0         1       2               6               10
//	+---------+-------+---------------+---------------+------------------+
//	| version | type  | channel ID    | payload length| payload ...      |
//	|  0x01   |       | (0: the conn) |               |                  |
//	+---------+-------+---------------+---------------+------------------+
//
//	type  name     direction  payload
//	0x01  hello    S → C      server nonce (32 B)
//	0x02  auth     C → S      client nonce (32 B) | HMAC-SHA256 (32 B)
//	0x03  auth-ok  S → C      HMAC-SHA256 (32 B)
//	0x10  request  C → S      uvarint credit | uvarint subpartition |
//	                          varint attempt | varint edge | varint producer |
//	                          uvarint len | job id
//	0x11  credit   C → S      uvarint additional credit
//	0x12  cancel   C → S      (empty) the consumer closed the channel
//	0x20  buffer   S → C      buffer bytes: records, each uvarint len | bytes,
//	                          a record may continue in the next buffer
//	0x21  event    S → C      kind (1 B) | EndOfPartition: - |
//	                          Watermark: varint ts |
//	                          CheckpointBarrier: varint id | varint ts
//	                          [| uvarint len | savepoint folder] |
//	                          Stopped: -
//	0x22  error    S → C      code (1 B) | message (UTF-8)
//
// The server speaks first: hello with a fresh nonce; the client answers
// with its own nonce and HMAC-SHA256(secret, "floe-netio/1 client" | server
// nonce | client nonce); the server checks it (or sends an error frame,
// logs and hangs up) and answers with the server MAC, which the client
// checks in turn. The per-application secret never crosses the wire. Each
// buffer or event frame uses one credit of its channel; control frames use
// none. Buffer frames are at most the consumer's buffer size, other frames
// at most 64 KiB.
//
// The data port is open to anyone who can reach it, so the server guards
// itself: a peer must finish the handshake within HandshakeTimeout (5 s),
// at most MaxHandshakes (64) connections may be authenticating at once
// (more are closed as soon as they are accepted), and an Accept error
// (EMFILE when the process is out of descriptors) never stops the server:
// it backs off from 5 ms to 1 s and accepts again. The open-file limit
// itself is raised to the hard limit by the Go runtime at process start
// (syscall's init, Go 1.19 on), so no Floe code sets it.
//
// # Example
//
// A producer TaskManager serves its partitions; a consumer dials them.
//
//	pool, _ := netio.NewBufferPool(netio.PoolOptions{NumBuffers: 2048})
//	reg := netio.NewRegistry()
//	srv, _ := netio.NewServer(ctx, netio.ServerOptions{Secret: secret, Registry: reg, Logger: log})
//	defer srv.Close()
//
//	id := netio.PartitionID{Job: "job1", Attempt: 0, Edge: 0, Producer: 3}
//	part, _ := netio.NewResultPartition(netio.PartitionOptions{ID: id, NumSubpartitions: 2, Pool: pool})
//	_ = reg.Register(part)
//	_ = part.Emit(ctx, 1, encoded) // blocks under backpressure
//	_ = part.Finish(ctx)
//
//	// In the consumer TaskManager (subtask 1):
//	client, _ := netio.NewClient(netio.ClientOptions{Secret: secret, Pool: pool2})
//	defer client.Close()
//	ch, _ := client.Dial(ctx, srv.Addr(), id, 1)
//	gate, _ := netio.NewInputGate([]*netio.InputChannel{ch}, netio.GateOptions{})
//	defer gate.Close()
//	for {
//		el, err := gate.Next(ctx)
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		if !el.IsEvent() {
//			process(el.Record) // valid until the next Next
//		}
//	}
package netio
