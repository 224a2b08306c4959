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
	// PollWait bounds a TaskManager's long poll (default 1s).
	PollWait time.Duration
	// OpenReads serves the GET endpoints (overview, jobs, a job,
	// TaskManagers) without a signature, so that they work through the YARN
	// web proxy; mutations stay signed.
	OpenReads bool
	// Shutdown, when set, enables POST /v1/cluster/shutdown (signed); it is
	// called once per accepted request with the caller's reason.
	Shutdown func(reason string)
	// Mode is reported in the overview (session, per-job, application).
	Mode   string
	Logger zerolog.Logger
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

	mu  sync.Mutex
	tms map[string]*remoteTM
}

// NewServer listens on opts.Addr; call Serve to answer requests.
func NewServer(jm *JobManager, opts ServerOptions) (*Server, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("control server: no secret")
	}
	if opts.PollWait <= 0 {
		opts.PollWait = time.Second
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("control server: %w", err)
		}
	}
	s := &Server{jm: jm, opts: opts, ln: ln, ver: api.NewVerifier(opts.Secret), tms: map[string]*remoteTM{},
		log: opts.Logger.With().Str("component", "control-api").Logger()}
	mux := http.NewServeMux()
	read := s.auth
	if opts.OpenReads {
		read = s.open
	}
	mux.HandleFunc("POST /v1/jobs", s.auth(s.submit))
	mux.HandleFunc("GET /v1/jobs", read(s.jobs))
	mux.HandleFunc("GET /v1/jobs/{id}", read(s.job))
	mux.HandleFunc("GET /v1/overview", read(s.overview))
	mux.HandleFunc("GET /v1/taskmanagers", read(s.taskManagers))
	mux.HandleFunc("GET /{$}", read(s.overview))
	mux.HandleFunc("POST /v1/cluster/shutdown", s.auth(s.shutdown))
	mux.HandleFunc("POST /v1/jobs/{id}/cancel", s.auth(s.cancel))
	mux.HandleFunc("POST /v1/taskmanagers/register", s.auth(s.register))
	mux.HandleFunc("POST /v1/taskmanagers/poll", s.auth(s.poll))
	mux.HandleFunc("POST /v1/taskmanagers/update", s.auth(s.update))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
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

func (s *Server) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, api.Error{Version: api.Version, Error: err.Error()})
			return
		}
		if err := s.ver.Verify(r, body, time.Now()); err != nil {
			s.log.Warn().Str("remote", r.RemoteAddr).Str("method", r.Method).Str("path", r.URL.Path).Err(err).Msg("rejected control request")
			writeJSON(w, http.StatusUnauthorized, api.Error{Version: api.Version, Error: err.Error()})
			return
		}
		reply(w, r, body, h)
	}
}

// open serves a read-only request without a signature.
func (s *Server) open(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { reply(w, r, nil, h) }
}

// reply runs h and writes its result, or its error with the status an
// *httpError carries (400 otherwise).
func reply(w http.ResponseWriter, r *http.Request, body []byte, h handler) {
	out, err := h(w, r, body)
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
	o.Mode = s.opts.Mode
	return o, nil
}

func (s *Server) taskManagers(http.ResponseWriter, *http.Request, []byte) (any, error) {
	return api.TaskManagerList{Version: api.Version, TaskManagers: s.jm.TaskManagerInfos()}, nil
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
	id, err := s.jm.Submit(r.Context(), Submission{Graph: g, Pool: pool, Binary: req.Binary, Args: req.Args, Env: req.Env, Restart: restart})
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

// remoteTM is the JobManager's side of a TaskManager that polls: commands
// queue here until its next poll takes them.
type remoteTM struct {
	id     string
	mu     sync.Mutex
	cmds   api.Commands
	notify chan struct{}
}

func (t *remoteTM) push(f func(c *api.Commands)) {
	t.mu.Lock()
	f(&t.cmds)
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

func (t *remoteTM) Deploy(_ context.Context, d api.DeployTask) error {
	t.push(func(c *api.Commands) { c.Deploy = append(c.Deploy, d) })
	return nil
}

func (t *remoteTM) Cancel(_ context.Context, d api.CancelTask) error {
	t.push(func(c *api.Commands) { c.Cancel = append(c.Cancel, d) })
	return nil
}

func (t *remoteTM) Shutdown() { t.push(func(c *api.Commands) { c.Shutdown = true }) }

func (t *remoteTM) take() (api.Commands, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cmds
	t.cmds = api.Commands{}
	return c, len(c.Deploy) > 0 || len(c.Cancel) > 0 || c.Shutdown
}

func (s *Server) register(_ http.ResponseWriter, _ *http.Request, body []byte) (any, error) {
	var req api.Registration
	if err := decode(body, &req, func() int { return req.Version }); err != nil {
		return nil, err
	}
	t := &remoteTM{id: req.TaskManager, notify: make(chan struct{}, 1)}
	if err := s.jm.RegisterTaskManager(req, t); err != nil {
		if errors.Is(err, ErrUnknownTaskManager) {
			return nil, &httpError{http.StatusForbidden, err}
		}
		return nil, err
	}
	s.mu.Lock()
	s.tms[req.TaskManager] = t
	s.mu.Unlock()
	return api.RegistrationReply{Version: api.Version, HeartbeatMillis: 50}, nil
}

func (s *Server) poll(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	var req api.Poll
	if err := decode(body, &req, func() int { return req.Version }); err != nil {
		return nil, err
	}
	s.mu.Lock()
	t := s.tms[req.TaskManager]
	s.mu.Unlock()
	if t == nil || !s.jm.Heartbeat(req.TaskManager) {
		// Forgotten (declared lost, or released): tell it to go.
		if t != nil {
			if c, _ := t.take(); len(c.Deploy)+len(c.Cancel) > 0 {
				c.Shutdown, c.Version = true, api.Version
				return c, nil
			}
		}
		return api.Commands{Version: api.Version, Shutdown: true}, nil
	}
	wait := min(time.Duration(req.WaitMillis)*time.Millisecond, s.opts.PollWait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if c, ok := t.take(); ok {
			c.Version = api.Version
			return c, nil
		}
		select {
		case <-t.notify:
		case <-timer.C:
			return api.Commands{Version: api.Version}, nil
		case <-r.Context().Done():
			return api.Commands{Version: api.Version}, nil
		}
	}
}

func (s *Server) update(_ http.ResponseWriter, _ *http.Request, body []byte) (any, error) {
	var req api.TaskUpdate
	if err := decode(body, &req, func() int { return req.Version }); err != nil {
		return nil, err
	}
	s.jm.UpdateTask(req)
	return struct{}{}, nil
}
