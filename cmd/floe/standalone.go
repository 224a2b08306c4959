package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/standalone"
)

// openBlobStore opens dir, or a temporary folder removed by the returned
// function.
func openBlobStore(dir string) (*standalone.BlobStore, func(), error) {
	drop := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "floe-blobs-")
		if err != nil {
			return nil, nil, err
		}
		dir, drop = tmp, func() { _ = os.RemoveAll(tmp) } // a leftover temp folder is harmless
	}
	b, err := standalone.NewBlobStore(dir)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return b, drop, nil
}

// applicationJob is the one job of a standalone application cluster.
type applicationJob struct {
	cfg    *conf.Config
	addr   string
	secret []byte
	blobs  *standalone.BlobStore
	bin    string
	args   []string
	out    io.Writer
}

// runApplicationJob plans and submits the job to this JobManager and
// waits for it to end; a job that does not finish is an error. When ctx
// ends first (the cluster is stopped), the job is cancelled.
func runApplicationJob(ctx context.Context, a applicationJob) error {
	job := client.NewJob(a.cfg, a.bin, a.args, 0)
	g, err := job.Plan(ctx, nil)
	if err != nil {
		return fmt.Errorf("application job %s: %w", a.bin, err)
	}
	digest, err := a.blobs.Ingest(a.bin)
	if err != nil {
		return fmt.Errorf("application job %s: %w", a.bin, err)
	}
	restart, err := jobmanager.ParseRestartStrategy(a.cfg, nil)
	if err != nil {
		return err
	}
	ckp, err := jobmanager.SubmissionConfig(a.cfg)
	if err != nil {
		return err
	}
	jm := api.NewClient(a.addr, a.secret)
	st, err := jm.Submit(ctx, api.SubmitJob{Graph: g, Binary: standalone.BlobPrefix + digest, Args: a.args, Env: job.Env(),
		Restart: restart, Config: ckp})
	if err != nil {
		return fmt.Errorf("application job %s: submit: %w", a.bin, err)
	}
	fmt.Fprintf(a.out, "Job %q submitted with id %s\n", st.Name, st.ID)
	st, err = jm.Wait(ctx, st.ID, 250*time.Millisecond)
	if err != nil {
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, cerr := jm.Cancel(wctx, st.ID); cerr == nil {
			st, _ = jm.Wait(wctx, st.ID, 100*time.Millisecond)
		}
		return fmt.Errorf("application job %s: the cluster was stopped; job now %s", st.ID, st.State)
	}
	fmt.Fprintf(a.out, "Job %s %s\n", st.ID, st.State)
	if st.State != api.JobFinished {
		return fmt.Errorf("application job %s %s: %s", st.ID, st.State, st.Cause)
	}
	return nil
}

// remoteClient is a client for the JobManager at addr (floe … -m
// host:port) with the cluster's secret (standalone.FindSecretFile).
func remoteClient(addr string) (*api.Client, error) {
	f, err := standalone.FindSecretFile(os.Getenv, addr)
	if err != nil {
		return nil, err
	}
	secret, err := api.ReadSecretFile(f)
	if err != nil {
		return nil, err
	}
	return api.NewClient(addr, secret), nil
}
