package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/floe-yarn/floe/client"
)

// progressEvery is how often an attached `floe run` prints its progress
// line on a terminal.
const progressEvery = 5 * time.Second

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgress prints a one-line summary of job id every progressEvery
// while it runs — records in and out per second, checkpoints — when out is
// a terminal; the returned function stops it and waits.
func startProgress(ctx context.Context, cc *client.ClusterClient, id string, out io.Writer) func() {
	if !isTerminal(out) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var p client.Progress
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				rctx, rcancel := context.WithTimeout(ctx, progressEvery)
				d, err := cc.FlinkJob(rctx, id)
				var done int64
				if st, cerr := cc.Checkpoints(rctx, id); cerr == nil {
					done = int64(st.Counts.Completed)
				}
				rcancel()
				if err == nil && d.State == "RUNNING" {
					fmt.Fprintln(out, p.Line(now, d, done))
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
