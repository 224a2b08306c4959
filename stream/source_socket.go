package stream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// SocketTextStream reads lines from a TCP server at addr (host:port). It
// runs as one instance and ends when the server closes the connection.
// It is not replayable (what was read is gone from the server), so a
// checkpointing job gets at-least-once results for its records at best
// (Environment.NonReplayableSources lists it).
func SocketTextStream(env *Environment, addr string) Stream[string] {
	c := codecFor[string](env, "SocketTextStream")
	return addSource(env, "socket", "Socket "+addr, false, 1, c, func(oc runtime.OperatorContext, emit func(string)) (*instance[struct{}], error) {
		emitted := new(int64)
		oc.RecordsOut(emitted)
		next := emit
		emit = func(line string) { *emitted++; next(line) }
		return &instance[struct{}]{run: func(ctx context.Context, idle func()) error {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return fmt.Errorf("socket source: %w", err)
			}
			defer func() { _ = conn.Close() }() // read-only
			r := bufio.NewReader(conn)
			var partial strings.Builder
			for {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				// A short deadline lets the source flush its output and
				// notice cancellation while the server is quiet.
				_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				line, err := r.ReadString('\n')
				partial.WriteString(line)
				if err == nil {
					emit(strings.TrimRight(partial.String(), "\r\n"))
					partial.Reset()
					continue
				}
				if errors.Is(err, os.ErrDeadlineExceeded) {
					idle()
					continue
				}
				if errors.Is(err, io.EOF) {
					if partial.Len() > 0 {
						emit(partial.String())
					}
					return nil
				}
				return fmt.Errorf("socket source %s: %w", addr, err)
			}
		}}, nil
	})
}
