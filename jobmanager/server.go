package jobmanager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/dashboard"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// ServerOptions configure the control API server.
type ServerOptions struct {
	// Addr to listen on (host:port; port 0 picks one).
	Addr string
	// Listener, when set, is used instead of listening on Addr (the YARN
	// AM listens first: it registers its port before the JobManager exists).
	Listener net.Listener
	Secret   []byte
	// DefaultRestart applies to submissions that name no strategy.
	DefaultRestart api.RestartStrategy
	// Heartbeat is the control channel's timing (HeartbeatTiming reads it
	// from heartbeat.interval and heartbeat.timeout). A zero Timeout is the
	// core's HeartbeatTimeout, a zero Interval a fifth of the Timeout.
	Heartbeat api.Timing
	// MaxBodyBytes bounds one signed request body (default 64 MiB).
	MaxBodyBytes int64
	// MaxInFlightBytes bounds the bodies of all requests being read or
	// handled at once (default 4 × MaxBodyBytes); more wait their turn.
	MaxInFlightBytes int64
	// OpenReads serves the GET endpoints (overview, jobs, a job,
	// TaskManagers) without a signature, so that they work through the YARN
	// web proxy; mutations stay signed.
	OpenReads bool
	// Shutdown, when set, enables POST /v1/cluster/shutdown (signed); it is
	// called once per accepted request with the caller's reason.
	Shutdown func(reason string)
	// Config looks up the cluster's options (floe-conf.yaml and -D of the
	// cluster): the checkpoint settings of submissions, under the options
	// each submission carries. Nil means none set.
	Config func(key string) (string, bool)
	// ConfigEntries are the cluster's options as GET /jobmanager/config
	// lists them (key, value); never secrets.
	ConfigEntries [][2]string
	// LogDir holds the JobManager's log files (GET /jobmanager/logs).
	LogDir string
	// Mode is reported in the overview (session, per-job, application).
	Mode string
	// Routes are extra signed endpoints ("METHOD /path" patterns of
	// net/http), e.g. the standalone cluster's worker and blob endpoints.
	// Their bodies are checked like every signed request's.
	Routes map[string]RawHandler
	Logger zerolog.Logger
}

// RawHandler serves one signed request whose body was read and verified;
// it writes the whole response itself.
type RawHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// HeartbeatTiming is the control channel's timing from cfg
// (heartbeat.interval, heartbeat.timeout).
func HeartbeatTiming(cfg *conf.Config) api.Timing {
	return api.Timing{Interval: cfg.Duration(conf.HeartbeatInterval), Timeout: cfg.Duration(conf.HeartbeatTimeout)}.WithDefaults()
}

// Server is the JobManager's authenticated HTTP control API for clients
// and TaskManagers (see package api for the endpoints).
type Server struct {
	jm   *JobManager
	opts ServerOptions
	ln   net.Listener
	srv  *http.Server
	ver  *api.Verifier
	log  zerolog.Logger
	// timing is the control channel's, from opts.Heartbeat.
	timing api.Timing
	bodies *budget

	// ctx ends the control sessions (set by Serve).
	ctx      context.Context
	sessions sync.WaitGroup
	spOps    savepointOps // asynchronous savepoint and stop operations (server_stop.go)

	mu       sync.Mutex
	stopping bool                 // Serve is ending: no new sessions
	tms      map[string]*remoteTM // the TaskManagers with a control channel, by id

	metrics *jmMetrics // the JobManager's metrics and the TaskManagers' reports
	logs    logRequests
}

// NewServer listens on opts.Addr; call Serve to answer requests.
func NewServer(jm *JobManager, opts ServerOptions) (*Server, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("control server: no secret")
	}
	if opts.Heartbeat.Timeout <= 0 {
		opts.Heartbeat.Timeout = jm.core.opts.HeartbeatTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 20
	}
	if opts.MaxInFlightBytes < opts.MaxBodyBytes {
		opts.MaxInFlightBytes = 4 * opts.MaxBodyBytes
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("control server: %w", err)
		}
	}
	s := &Server{jm: jm, opts: opts, ln: ln, ver: api.NewVerifier(opts.Secret), tms: map[string]*remoteTM{},
		timing: opts.Heartbeat.WithDefaults(), bodies: newBudget(opts.MaxInFlightBytes), ctx: context.Background(),
		log: opts.Logger.With().Str("component", "control-api").Logger()}
	if err := s.initMetrics(); err != nil {
		if opts.Listener == nil {
			_ = ln.Close()
		}
		return nil, err
	}
	mux := http.NewServeMux()
	read := s.auth
	if opts.OpenReads {
		read = s.open
	}
	s.routeFlink(mux, read)
	mux.HandleFunc("POST /v1/jobs", s.auth(s.submit))
	mux.HandleFunc("GET /v1/jobs", read(s.jobs))
	mux.HandleFunc("GET /v1/jobs/{id}", read(s.jobOrFlink))
	mux.HandleFunc("GET /v1/jobs/{id}/checkpoints", read(s.checkpoints))
	mux.HandleFunc("GET /jobs/{id}/checkpoints", read(s.checkpoints))
	mux.HandleFunc("GET /v1/overview", read(s.overview))
	mux.HandleFunc("GET /v1/taskmanagers", read(s.taskManagers))
	// The dashboard (package dashboard): static, embedded, no credentials.
	mux.Handle("GET /{$}", dashboard.Handler())
	mux.Handle("GET /web/", dashboard.Handler())
	mux.HandleFunc("POST /v1/cluster/shutdown", s.auth(s.shutdown))
	mux.HandleFunc("POST /v1/jobs/{id}/cancel", s.auth(s.cancel))
	// PUT: YARN's web proxy (Hadoop 3) forwards GET and PUT, not POST.
	mux.HandleFunc("PUT /v1/dashboard/jobs/{id}/{action}", s.dashboardAction)
	mux.HandleFunc("POST /v1/dashboard/jobs/{id}/{action}", s.dashboardAction)
	s.routeSavepoints(mux, read)
	mux.HandleFunc("GET "+api.ControlPath, s.connect)
	for pattern, h := range opts.Routes {
		mux.HandleFunc(pattern, s.signed(h))
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests and serves control channels until ctx ends; it
// returns once every control channel is closed.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.ctx = ctx
	var wg sync.WaitGroup
	s.runMetrics(ctx, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.timing.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = s.srv.Shutdown(sctx)
				return
			case now := <-t.C:
				s.prune(now)
			}
		}
	}()
	err := s.srv.Serve(s.ln)
	cancel() // also when the listener failed: end the sessions
	wg.Wait()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.sessions.Wait()
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte) (any, error)

type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }

// auth serves a signed request: the signature is checked from the headers
// before any of the body is read, and an unauthenticated body is never read
// (the connection closes instead). An authenticated body is read whole,
// within MaxBodyBytes and the in-flight budget, and must match its signed
// digest.
func (s *Server) auth(h handler) http.HandlerFunc {
	return s.signed(func(w http.ResponseWriter, r *http.Request, body []byte) { reply(w, r, body, h) })
}

// signed is auth for a handler that writes its own response.
func (s *Server) signed(h RawHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		digest, err := s.ver.VerifyHeader(r, time.Now())
		if err != nil {
			s.reject(w, r, err)
			return
		}
		n := r.ContentLength
		switch {
		case n < 0:
			w.Header().Set("Connection", "close")
			writeJSON(w, http.StatusLengthRequired, api.Error{Version: api.Version, Error: "a signed request needs a Content-Length"})
			return
		case n > s.opts.MaxBodyBytes:
			w.Header().Set("Connection", "close")
			writeJSON(w, http.StatusRequestEntityTooLarge, api.Error{Version: api.Version,
				Error: fmt.Sprintf("body of %d bytes exceeds %d", n, s.opts.MaxBodyBytes)})
			return
		}
		if err := s.bodies.acquire(r.Context(), n); err != nil {
			return // the client went away
		}
		defer s.bodies.release(n)
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			writeJSON(w, http.StatusBadRequest, api.Error{Version: api.Version, Error: "read body: " + err.Error()})
			return
		}
		if err := api.CheckBody(digest, body); err != nil {
			s.reject(w, r, err)
			return
		}
		h(w, r, body)
	}
}

// reject answers an unauthenticated request with 401 and closes the
// connection rather than read what the client still sends.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn().Str("remote", r.RemoteAddr).Str("method", r.Method).Str("path", r.URL.Path).Err(err).Msg("rejected control request")
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusUnauthorized, api.Error{Version: api.Version, Error: err.Error()})
}

// open serves a read-only request without a signature.
func (s *Server) open(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { reply(w, r, nil, h) }
}

// reply runs h and writes its result, or its error with the status an
// *httpError carries (400 otherwise).
func reply(w http.ResponseWriter, r *http.Request, body []byte, h handler) {
	out, err := h(w, r, body)
	if _, ok := out.(written); ok && err == nil {
		return
	}
	if err != nil {
		status := http.StatusBadRequest
		var he *httpError
		if errors.As(err, &he) {
			status = he.status
		}
		writeJSON(w, status, api.Error{Version: api.Version, Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) jobs(http.ResponseWriter, *http.Request, []byte) (any, error) {
	return api.JobList{Version: api.Version, Jobs: s.jm.Jobs()}, nil
}

func (s *Server) overview(http.ResponseWriter, *http.Request, []byte) (any, error) {
	o := s.jm.Overview()
	o.Mode, o.PrometheusPort = s.opts.Mode, s.PrometheusPort()
	return o, nil
}

func (s *Server) taskManagers(http.ResponseWriter, *http.Request, []byte) (any, error) {
	return api.TaskManagerList{Version: api.Version, TaskManagers: s.withPrometheus(s.jm.TaskManagerInfos())}, nil
}

func (s *Server) shutdown(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	if s.opts.Shutdown == nil {
		return nil, &httpError{http.StatusNotImplemented, errors.New("this JobManager cannot be shut down over the API")}
	}
	var req api.ShutdownRequest
	if err := decode(body, &req, func() int { return req.Version }); err != nil {
		return nil, err
	}
	s.log.Info().Str("remote", r.RemoteAddr).Str("reason", req.Reason).Msg("cluster shutdown requested")
	s.opts.Shutdown(req.Reason)
	return struct{}{}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(body []byte, v any, version func() int) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	if got := version(); got != api.Version {
		return fmt.Errorf("protocol version %d, this JobManager speaks %d", got, api.Version)
	}
	return nil
}

func (s *Server) submit(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	var req api.SubmitJob
	if err := decode(body, &req, func() int { return req.Version }); err != nil {
		return nil, err
	}
	g, err := graph.Unmarshal(req.Graph)
	if err != nil {
		return nil, err
	}
	if req.Binary == "" {
		return nil, errors.New("submit: no job binary")
	}
	restart := s.opts.DefaultRestart
	if req.Restart != nil {
		restart = *req.Restart
	}
	// One pool per binary and arguments: TaskManagers rebuild the graph
	// from exactly these.
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", req.Binary, strings.Join(req.Args, "\x00"), strings.Join(req.Env, "\x00"))
	pool := hex.EncodeToString(h.Sum(nil)[:8])
	lookup := func(key string) (string, bool) {
		if v, ok := req.Config[key]; ok {
			return v, true
		}
		if s.opts.Config != nil {
			return s.opts.Config(key)
		}
		return "", false
	}
	lookup = JobConfigLookup(g, lookup) // the job's code wins
	ckp, err := JobCheckpointingFrom(lookup)
	if err != nil {
		return nil, fmt.Errorf("submit %q: %w", g.Name, err)
	}
	sp, allow := SavepointSubmission(lookup)
	id, err := s.jm.Submit(r.Context(), Submission{Graph: g, Pool: pool, Binary: req.Binary, Args: req.Args, Env: req.Env,
		Restart: restart, Checkpointing: ckp, SavepointPath: sp, AllowNonRestored: allow})
	if err != nil {
		return nil, err
	}
	return s.jm.Status(id)
}

func (s *Server) job(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
	st, err := s.jm.Status(r.PathValue("id"))
	if errors.Is(err, ErrJobNotFound) {
		return nil, &httpError{http.StatusNotFound, err}
	}
	return st, err
}

func (s *Server) cancel(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
	id := r.PathValue("id")
	if err := s.jm.Cancel(r.Context(), id); err != nil {
		if errors.Is(err, ErrJobNotFound) {
			return nil, &httpError{http.StatusNotFound, err}
		}
		return nil, err
	}
	return s.jm.Status(id)
}
